CREATE TABLE "node_join_secrets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"secret_hash" text NOT NULL,
	"allowed_hosts" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "join_secret_id" uuid;--> statement-breakpoint
CREATE UNIQUE INDEX "node_join_secrets_secret_hash_idx" ON "node_join_secrets" USING btree ("secret_hash");--> statement-breakpoint
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_join_secret_id_node_join_secrets_id_fk" FOREIGN KEY ("join_secret_id") REFERENCES "public"."node_join_secrets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "nodes_join_secret_url_idx" ON "nodes" USING btree ("join_secret_id","url");