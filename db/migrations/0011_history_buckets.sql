CREATE TABLE "history_buckets" (
	"tag" text NOT NULL,
	"bucket_start" bigint NOT NULL,
	"bucket_end" bigint NOT NULL,
	"count" integer NOT NULL,
	"ts" "bytea" NOT NULL,
	"num" "bytea" NOT NULL,
	"kinds" "bytea" NOT NULL,
	"qualities" "bytea" NOT NULL,
	"texts" text,
	"reasons" text,
	"source" smallint NOT NULL,
	"script_id" text,
	"script_name" text,
	"script_version" integer,
	"lineage" text,
	CONSTRAINT "history_buckets_tag_bucket_start_pk" PRIMARY KEY("tag","bucket_start")
);
--> statement-breakpoint
CREATE INDEX "history_buckets_end" ON "history_buckets" USING btree ("bucket_end");