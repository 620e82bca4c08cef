ALTER TABLE "work_tokens" ADD COLUMN "run_id" text;--> statement-breakpoint
ALTER TABLE "work_tokens" ADD COLUMN "revoked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "work_tokens" ADD COLUMN "revoked_reason" text;