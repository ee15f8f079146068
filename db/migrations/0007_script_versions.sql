CREATE TABLE "script_versions" (
	"script_id" text NOT NULL,
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"saved_at" timestamp with time zone DEFAULT now() NOT NULL,
	"saved_by" jsonb,
	"message" text,
	CONSTRAINT "script_versions_script_id_version_pk" PRIMARY KEY("script_id","version")
);
--> statement-breakpoint
ALTER TABLE "script_versions" ADD CONSTRAINT "script_versions_script_id_scripts_id_fk" FOREIGN KEY ("script_id") REFERENCES "public"."scripts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Backfill: every script saved before versions existed gets its current definition as its current version.
INSERT INTO "script_versions" ("script_id", "version", "definition", "saved_at", "saved_by", "message")
SELECT "id", "version", "definition", "updated_at", "updated_by", NULL FROM "scripts"
ON CONFLICT DO NOTHING;
