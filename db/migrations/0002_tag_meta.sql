CREATE TABLE "tag_meta" (
	"tag" text PRIMARY KEY NOT NULL,
	"description" text,
	"unit" text,
	"lo" double precision,
	"hi" double precision,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
