DROP INDEX "chat_sessions_plaintext_idx";--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "tags_ct" text;--> statement-breakpoint
CREATE INDEX "chat_sessions_plaintext_idx" ON "chat_sessions" USING btree ("id") WHERE "chat_sessions"."title" is not null or "chat_sessions"."summary" is not null or cardinality("chat_sessions"."tags") > 0;