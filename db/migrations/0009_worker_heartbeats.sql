CREATE TABLE "worker_heartbeats" (
	"member_id" text PRIMARY KEY NOT NULL,
	"client_id" text NOT NULL,
	"host" text NOT NULL,
	"figures" jsonb NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "script_stats" ADD COLUMN "state_notice" text;