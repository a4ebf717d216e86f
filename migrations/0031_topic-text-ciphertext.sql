ALTER TABLE "topics" ADD COLUMN "description_ct" text;--> statement-breakpoint
ALTER TABLE "topics" ADD COLUMN "keywords_ct" text;--> statement-breakpoint
CREATE INDEX "topics_plaintext_idx" ON "topics" USING btree ("id") WHERE "topics"."description" is not null or "topics"."keywords" is not null;