CREATE SEQUENCE "public"."script_revision_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "history" (
	"tag" text NOT NULL,
	"ts" bigint NOT NULL,
	"value_type" smallint NOT NULL,
	"value_num" double precision,
	"value_text" text,
	"quality" smallint NOT NULL,
	"source" smallint NOT NULL,
	CONSTRAINT "history_tag_ts_pk" PRIMARY KEY("tag","ts")
);
--> statement-breakpoint
CREATE TABLE "script_outputs" (
	"tag" text PRIMARY KEY NOT NULL,
	"script_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "script_stats" (
	"script_id" text PRIMARY KEY NOT NULL,
	"evaluations" bigint DEFAULT 0 NOT NULL,
	"errors" bigint DEFAULT 0 NOT NULL,
	"avg_micros" double precision DEFAULT 0 NOT NULL,
	"last_run_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "scripts" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"definition" jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"state" text DEFAULT 'unregistered' NOT NULL,
	"last_error" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revision" bigint DEFAULT nextval('script_revision_seq') NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "tag_latest" (
	"tag" text PRIMARY KEY NOT NULL,
	"value" jsonb,
	"ts" bigint NOT NULL,
	"quality" smallint NOT NULL,
	"source" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "script_outputs" ADD CONSTRAINT "script_outputs_script_id_scripts_id_fk" FOREIGN KEY ("script_id") REFERENCES "public"."scripts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "script_stats" ADD CONSTRAINT "script_stats_script_id_scripts_id_fk" FOREIGN KEY ("script_id") REFERENCES "public"."scripts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "history_ts" ON "history" USING btree ("ts");--> statement-breakpoint
CREATE UNIQUE INDEX "scripts_name_live" ON "scripts" USING btree ("name") WHERE "scripts"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "scripts_revision" ON "scripts" USING btree ("revision");