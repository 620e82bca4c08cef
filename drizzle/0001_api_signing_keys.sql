CREATE TABLE "api_signing_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"secret_sealed" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "api_signing_keys_created_at_idx" ON "api_signing_keys" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "repositories_installation_created_idx" ON "repositories" USING btree ("installation_id","created_at","id");--> statement-breakpoint
CREATE INDEX "pull_requests_installation_created_idx" ON "pull_requests" USING btree ("installation_id","created_at","id");