ALTER TABLE "chat_messages" ALTER COLUMN "content" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_messages" ADD COLUMN "content_ct" text;--> statement-breakpoint
ALTER TABLE "chat_messages" ADD COLUMN "suggestions_ct" text;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "title_ct" text;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "summary_ct" text;--> statement-breakpoint
ALTER TABLE "reflections" ADD COLUMN "text_ct" text;--> statement-breakpoint
ALTER TABLE "reflections" ADD COLUMN "themes_ct" text;--> statement-breakpoint
CREATE INDEX "chat_messages_plaintext_idx" ON "chat_messages" USING btree ("id") WHERE "chat_messages"."content" is not null;--> statement-breakpoint
CREATE INDEX "chat_sessions_plaintext_idx" ON "chat_sessions" USING btree ("id") WHERE "chat_sessions"."title" is not null or "chat_sessions"."summary" is not null;--> statement-breakpoint
CREATE INDEX "reflections_plaintext_idx" ON "reflections" USING btree ("id") WHERE "reflections"."text" is not null or "reflections"."themes" is not null;--> statement-breakpoint
ALTER TABLE "chat_messages" ADD CONSTRAINT "chat_messages_content_check" CHECK ("chat_messages"."content" is not null or "chat_messages"."content_ct" is not null);