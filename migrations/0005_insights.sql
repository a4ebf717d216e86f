CREATE TABLE "reflections" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"period" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"timezone" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"generated" boolean DEFAULT false NOT NULL,
	"text" text,
	"stats" jsonb,
	"themes" jsonb,
	"citations" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"job_id" uuid,
	"model" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reflections_period_check" CHECK ("reflections"."period" in ('week', 'month')),
	CONSTRAINT "reflections_status_check" CHECK ("reflections"."status" in ('pending', 'done', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "reflections" ADD CONSTRAINT "reflections_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reflections" ADD CONSTRAINT "reflections_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "reflections_user_period_idx" ON "reflections" USING btree ("user_id","period","period_start");--> statement-breakpoint
CREATE INDEX "reflections_user_list_idx" ON "reflections" USING btree ("user_id","period_start" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "reflections_job_idx" ON "reflections" USING btree ("job_id");