ALTER TABLE "entry_analyses" ADD COLUMN "keywords_ct" text;--> statement-breakpoint
ALTER TABLE "entry_analyses" ADD COLUMN "evidence_ct" text;--> statement-breakpoint
CREATE INDEX "entry_analyses_plaintext_idx" ON "entry_analyses" USING btree ("entry_id") WHERE "entry_analyses"."keywords" is not null or "entry_analyses"."patterns" @? '$[*].evidence';