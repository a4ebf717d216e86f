ALTER TABLE "jobs" ADD COLUMN "delivered_message_ids" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
-- Jobs published before this column existed: their one known delivery is message_id.
UPDATE "jobs" SET "delivered_message_ids" = ARRAY["message_id"] WHERE "message_id" IS NOT NULL;
