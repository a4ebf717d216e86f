CREATE TABLE "entry_embeddings" (
	"entry_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"model" text NOT NULL,
	"dims" integer NOT NULL,
	"embedding" real[] NOT NULL,
	"content_version" integer NOT NULL,
	"indexed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "token_salt" text;--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "unreachable_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "entry_embeddings" ADD CONSTRAINT "entry_embeddings_entry_id_entries_id_fk" FOREIGN KEY ("entry_id") REFERENCES "public"."entries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entry_embeddings" ADD CONSTRAINT "entry_embeddings_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "entry_embeddings_model_idx" ON "entry_embeddings" USING btree ("model","entry_id");--> statement-breakpoint
CREATE INDEX "entry_embeddings_user_idx" ON "entry_embeddings" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "jobs_node_running_idx" ON "jobs" USING btree ("node_id") WHERE "jobs"."status" = 'running';