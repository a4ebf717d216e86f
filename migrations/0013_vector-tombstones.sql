CREATE TABLE "vector_tombstones" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"entry_id" uuid,
	"deleted_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "vector_tombstones_entry_idx" ON "vector_tombstones" USING btree ("entry_id");--> statement-breakpoint
CREATE INDEX "vector_tombstones_user_idx" ON "vector_tombstones" USING btree ("user_id","deleted_at");--> statement-breakpoint
CREATE INDEX "vector_tombstones_deleted_idx" ON "vector_tombstones" USING btree ("deleted_at");