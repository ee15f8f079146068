-- The packed times and values of a bucket (16 KB each for a full bucket) are kept out of line without
-- compression: pglz found little to take out of float64 bytes and cost ≈ 25 % of a bulk bucket write's
-- CPU in PGlite (docs/performance.md, "P8: the reads and the profile"). Rows already written stay as they are.
ALTER TABLE "history_buckets" ALTER COLUMN "ts" SET STORAGE EXTERNAL;--> statement-breakpoint
ALTER TABLE "history_buckets" ALTER COLUMN "num" SET STORAGE EXTERNAL;
