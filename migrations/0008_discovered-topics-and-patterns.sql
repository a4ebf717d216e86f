ALTER TABLE "entry_analyses" ADD COLUMN "patterns" jsonb;--> statement-breakpoint
ALTER TABLE "topics" ADD COLUMN "keywords" text[];--> statement-breakpoint
ALTER TABLE "topics" ADD COLUMN "centroid" real[];--> statement-breakpoint
ALTER TABLE "topics" ADD COLUMN "model" text;