CREATE TABLE "gitlab_connections" (
	"installation_id" bigint PRIMARY KEY NOT NULL,
	"instance_url" text NOT NULL,
	"kind" text NOT NULL,
	"full_path" text NOT NULL,
	"hook_id" bigint,
	"webhook_secret_hash" "bytea" NOT NULL,
	"bot_user_id" bigint NOT NULL,
	"bot_username" text NOT NULL,
	"token_expires_at" text,
	"broken_at" timestamp with time zone,
	"broken_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "gitlab_connections" ADD CONSTRAINT "gitlab_connections_installation_id_installations_id_fk" FOREIGN KEY ("installation_id") REFERENCES "public"."installations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "gitlab_connections_instance_path_key" ON "gitlab_connections" USING btree ("instance_url",lower("full_path"));