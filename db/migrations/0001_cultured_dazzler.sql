ALTER TABLE "history" ADD COLUMN "reason" text;--> statement-breakpoint
ALTER TABLE "tag_latest" ADD COLUMN "reason" text;