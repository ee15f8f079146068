ALTER TABLE "scripts" ADD COLUMN "created_by" jsonb;--> statement-breakpoint
ALTER TABLE "scripts" ADD COLUMN "updated_by" jsonb;