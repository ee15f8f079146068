CREATE TABLE "shadow_runs" (
	"script_id" text PRIMARY KEY NOT NULL,
	"shadow_id" text NOT NULL,
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"started_by" jsonb,
	"report" jsonb,
	"report_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "shadow_runs" ADD CONSTRAINT "shadow_runs_script_id_scripts_id_fk" FOREIGN KEY ("script_id") REFERENCES "public"."scripts"("id") ON DELETE cascade ON UPDATE no action;