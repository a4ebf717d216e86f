ALTER TABLE "entries" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "entries_user_idempotency_key_idx" ON "entries" USING btree ("user_id","idempotency_key");