CREATE TABLE "setup_states" (
	"state_hash" text PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"consumed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "worker_pools" (
	"pool_id" text PRIMARY KEY NOT NULL,
	"hostname" text NOT NULL,
	"pid" integer NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "parent_key_id" uuid;--> statement-breakpoint
CREATE INDEX "worker_pools_heartbeat_at_idx" ON "worker_pools" USING btree ("heartbeat_at");--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_parent_key_id_api_keys_id_fk" FOREIGN KEY ("parent_key_id") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_parent_key_idx" ON "api_keys" USING btree ("parent_key_id");--> statement-breakpoint
-- One app per server. Before this, a second setup could add another app; the server used the newest
-- one (see loadGithubCredentials), so that is the one kept.
DELETE FROM "app_credentials" WHERE "id" <> (SELECT "id" FROM "app_credentials" ORDER BY "created_at" DESC, "id" DESC LIMIT 1);--> statement-breakpoint
CREATE UNIQUE INDEX "app_credentials_one_app" ON "app_credentials" USING btree ((true));--> statement-breakpoint
-- Keys created through the API recorded their creator only as text; link them for revocation cascades.
UPDATE "api_keys" SET "parent_key_id" = substring("created_by" from 9)::uuid
  WHERE "created_by" ~ '^api-key:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    AND substring("created_by" from 9)::uuid IN (SELECT "id" FROM "api_keys");