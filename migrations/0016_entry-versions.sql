CREATE TABLE "entry_versions" (
	"entry_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"title" text,
	"content" text NOT NULL,
	"word_count" integer DEFAULT 0 NOT NULL,
	"restored_from" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "entry_versions_entry_id_version_pk" PRIMARY KEY("entry_id","version"),
	CONSTRAINT "entry_versions_version_check" CHECK ("entry_versions"."version" >= 1)
);
--> statement-breakpoint
ALTER TABLE "entry_versions" ADD CONSTRAINT "entry_versions_entry_id_entries_id_fk" FOREIGN KEY ("entry_id") REFERENCES "public"."entries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entry_versions" ADD CONSTRAINT "entry_versions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "entry_versions_user_idx" ON "entry_versions" USING btree ("user_id","entry_id");--> statement-breakpoint
-- Entries written before versions were kept: their current text becomes their current version (older
-- texts were never stored). updated_at is the nearest record of when that text was written.
INSERT INTO "entry_versions" ("entry_id", "user_id", "version", "title", "content", "word_count", "created_at")
SELECT "id", "user_id", "content_version", "title", "content", "word_count", "updated_at" FROM "entries"
ON CONFLICT DO NOTHING;
