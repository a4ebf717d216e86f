ALTER TABLE "chat_sessions" ADD COLUMN "title_set_by_user" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "chat_sessions" ADD COLUMN "title_job_id" uuid;