CREATE TABLE "mood_checkins" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"mood" integer NOT NULL,
	"note" text,
	"at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mood_checkins_mood_check" CHECK ("mood_checkins"."mood" between 1 and 10)
);
--> statement-breakpoint
ALTER TABLE "mood_checkins" ADD CONSTRAINT "mood_checkins_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "mood_checkins_user_at_idx" ON "mood_checkins" USING btree ("user_id","at" DESC NULLS LAST,"id" DESC NULLS LAST);