ALTER TABLE "history" ADD COLUMN "script_id" text;--> statement-breakpoint
ALTER TABLE "history" ADD COLUMN "script_name" text;--> statement-breakpoint
ALTER TABLE "history" ADD COLUMN "script_version" integer;