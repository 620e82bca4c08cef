CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"installation_id" bigint NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"key_hash" text NOT NULL,
	"capabilities" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "app_credentials" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"app_id" text NOT NULL,
	"slug" text NOT NULL,
	"html_url" text NOT NULL,
	"client_id" text,
	"secrets_sealed" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "app_credentials_app_id_unique" UNIQUE("app_id")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"installation_id" bigint NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "installations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"vcs" text NOT NULL,
	"external_id" text NOT NULL,
	"account_login" text NOT NULL,
	"account_type" text DEFAULT 'Organization' NOT NULL,
	"access_token_sealed" "bytea",
	"suspended_at" timestamp with time zone,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "repositories" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"installation_id" bigint NOT NULL,
	"vcs" text NOT NULL,
	"external_id" text NOT NULL,
	"owner" text NOT NULL,
	"name" text NOT NULL,
	"full_name" text NOT NULL,
	"default_branch" text DEFAULT 'main' NOT NULL,
	"private" boolean DEFAULT true NOT NULL,
	"removed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kv_entries" (
	"installation_id" bigint NOT NULL,
	"key" text NOT NULL,
	"value" jsonb NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "kv_entries_installation_id_key_pk" PRIMARY KEY("installation_id","key")
);
--> statement-breakpoint
CREATE TABLE "locks" (
	"installation_id" bigint NOT NULL,
	"repository_id" bigint NOT NULL,
	"dir" text NOT NULL,
	"workspace" text NOT NULL,
	"pull_request_id" bigint NOT NULL,
	"work_manifest_id" uuid,
	"acquired_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "locks_repository_id_dir_workspace_pk" PRIMARY KEY("repository_id","dir","workspace")
);
--> statement-breakpoint
CREATE TABLE "plans" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"installation_id" bigint NOT NULL,
	"repository_id" bigint NOT NULL,
	"pull_request_id" bigint,
	"work_manifest_id" uuid NOT NULL,
	"dir" text NOT NULL,
	"workspace" text NOT NULL,
	"base_sha" text NOT NULL,
	"head_sha" text NOT NULL,
	"has_changes" boolean NOT NULL,
	"sealed" "bytea" NOT NULL,
	"size_bytes" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pull_requests" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"installation_id" bigint NOT NULL,
	"repository_id" bigint NOT NULL,
	"number" integer NOT NULL,
	"state" text DEFAULT 'open' NOT NULL,
	"title" text DEFAULT '' NOT NULL,
	"author" text NOT NULL,
	"base_branch" text NOT NULL,
	"base_sha" text NOT NULL,
	"head_branch" text NOT NULL,
	"head_sha" text NOT NULL,
	"draft" boolean DEFAULT false NOT NULL,
	"merged_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"vcs" text NOT NULL,
	"delivery_id" text NOT NULL,
	"event" text NOT NULL,
	"action" text,
	"installation_external_id" text,
	"payload" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "work_manifest_dirspaces" (
	"work_manifest_id" uuid NOT NULL,
	"installation_id" bigint NOT NULL,
	"dir" text NOT NULL,
	"workspace" text NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"workflow" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"state" text DEFAULT 'queued' NOT NULL,
	"success" boolean,
	"has_changes" boolean,
	"summary" jsonb,
	"steps" jsonb,
	"outputs" jsonb,
	"exit_code" integer,
	"check_run_id" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "work_manifest_dirspaces_work_manifest_id_dir_workspace_pk" PRIMARY KEY("work_manifest_id","dir","workspace")
);
--> statement-breakpoint
CREATE TABLE "work_manifests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"installation_id" bigint NOT NULL,
	"repository_id" bigint NOT NULL,
	"pull_request_id" bigint,
	"vcs" text NOT NULL,
	"kind" text NOT NULL,
	"state" text DEFAULT 'queued' NOT NULL,
	"base_ref" text NOT NULL,
	"base_sha" text NOT NULL,
	"head_ref" text NOT NULL,
	"head_sha" text NOT NULL,
	"requested_by" text NOT NULL,
	"tag_query" text DEFAULT '' NOT NULL,
	"comment_id" text,
	"run_config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"run_id" text,
	"run_url" text,
	"failure_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"dispatched_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "work_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"work_manifest_id" uuid NOT NULL,
	"installation_id" bigint NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_installation_id_installations_id_fk" FOREIGN KEY ("installation_id") REFERENCES "public"."installations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_installation_id_installations_id_fk" FOREIGN KEY ("installation_id") REFERENCES "public"."installations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "repositories" ADD CONSTRAINT "repositories_installation_id_installations_id_fk" FOREIGN KEY ("installation_id") REFERENCES "public"."installations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "kv_entries" ADD CONSTRAINT "kv_entries_installation_id_installations_id_fk" FOREIGN KEY ("installation_id") REFERENCES "public"."installations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "locks" ADD CONSTRAINT "locks_installation_id_installations_id_fk" FOREIGN KEY ("installation_id") REFERENCES "public"."installations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "locks" ADD CONSTRAINT "locks_repository_id_repositories_id_fk" FOREIGN KEY ("repository_id") REFERENCES "public"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "locks" ADD CONSTRAINT "locks_pull_request_id_pull_requests_id_fk" FOREIGN KEY ("pull_request_id") REFERENCES "public"."pull_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "locks" ADD CONSTRAINT "locks_work_manifest_id_work_manifests_id_fk" FOREIGN KEY ("work_manifest_id") REFERENCES "public"."work_manifests"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plans" ADD CONSTRAINT "plans_installation_id_installations_id_fk" FOREIGN KEY ("installation_id") REFERENCES "public"."installations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plans" ADD CONSTRAINT "plans_repository_id_repositories_id_fk" FOREIGN KEY ("repository_id") REFERENCES "public"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plans" ADD CONSTRAINT "plans_pull_request_id_pull_requests_id_fk" FOREIGN KEY ("pull_request_id") REFERENCES "public"."pull_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plans" ADD CONSTRAINT "plans_work_manifest_id_work_manifests_id_fk" FOREIGN KEY ("work_manifest_id") REFERENCES "public"."work_manifests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pull_requests" ADD CONSTRAINT "pull_requests_installation_id_installations_id_fk" FOREIGN KEY ("installation_id") REFERENCES "public"."installations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pull_requests" ADD CONSTRAINT "pull_requests_repository_id_repositories_id_fk" FOREIGN KEY ("repository_id") REFERENCES "public"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "work_manifest_dirspaces" ADD CONSTRAINT "work_manifest_dirspaces_work_manifest_id_work_manifests_id_fk" FOREIGN KEY ("work_manifest_id") REFERENCES "public"."work_manifests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "work_manifest_dirspaces" ADD CONSTRAINT "work_manifest_dirspaces_installation_id_installations_id_fk" FOREIGN KEY ("installation_id") REFERENCES "public"."installations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "work_manifests" ADD CONSTRAINT "work_manifests_installation_id_installations_id_fk" FOREIGN KEY ("installation_id") REFERENCES "public"."installations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "work_manifests" ADD CONSTRAINT "work_manifests_repository_id_repositories_id_fk" FOREIGN KEY ("repository_id") REFERENCES "public"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "work_manifests" ADD CONSTRAINT "work_manifests_pull_request_id_pull_requests_id_fk" FOREIGN KEY ("pull_request_id") REFERENCES "public"."pull_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "work_tokens" ADD CONSTRAINT "work_tokens_work_manifest_id_work_manifests_id_fk" FOREIGN KEY ("work_manifest_id") REFERENCES "public"."work_manifests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "work_tokens" ADD CONSTRAINT "work_tokens_installation_id_installations_id_fk" FOREIGN KEY ("installation_id") REFERENCES "public"."installations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys" USING btree ("key_hash");--> statement-breakpoint
CREATE INDEX "api_keys_installation_idx" ON "api_keys" USING btree ("installation_id","created_at");--> statement-breakpoint
CREATE INDEX "audit_log_installation_idx" ON "audit_log" USING btree ("installation_id","created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "installations_vcs_external_id_key" ON "installations" USING btree ("vcs","external_id");--> statement-breakpoint
CREATE UNIQUE INDEX "repositories_vcs_external_id_key" ON "repositories" USING btree ("vcs","external_id");--> statement-breakpoint
CREATE INDEX "repositories_installation_id_idx" ON "repositories" USING btree ("installation_id","id");--> statement-breakpoint
CREATE INDEX "repositories_full_name_idx" ON "repositories" USING btree (lower("full_name"));--> statement-breakpoint
CREATE INDEX "kv_entries_prefix_idx" ON "kv_entries" USING btree ("installation_id","key" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "plans_pull_request_dirspace_idx" ON "plans" USING btree ("pull_request_id","dir","workspace","created_at");--> statement-breakpoint
CREATE INDEX "plans_work_manifest_idx" ON "plans" USING btree ("work_manifest_id");--> statement-breakpoint
CREATE INDEX "plans_expires_at_idx" ON "plans" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "pull_requests_repository_number_key" ON "pull_requests" USING btree ("repository_id","number");--> statement-breakpoint
CREATE INDEX "pull_requests_installation_id_idx" ON "pull_requests" USING btree ("installation_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_vcs_delivery_id_key" ON "webhook_deliveries" USING btree ("vcs","delivery_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_received_at_idx" ON "webhook_deliveries" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "work_manifest_dirspaces_installation_idx" ON "work_manifest_dirspaces" USING btree ("installation_id","dir","workspace");--> statement-breakpoint
CREATE INDEX "work_manifests_installation_created_idx" ON "work_manifests" USING btree ("installation_id","created_at","id");--> statement-breakpoint
CREATE INDEX "work_manifests_pull_request_idx" ON "work_manifests" USING btree ("pull_request_id","kind","created_at");--> statement-breakpoint
CREATE INDEX "work_manifests_state_idx" ON "work_manifests" USING btree ("state","updated_at") WHERE "work_manifests"."state" in ('queued', 'dispatched', 'running');--> statement-breakpoint
CREATE INDEX "work_tokens_work_manifest_idx" ON "work_tokens" USING btree ("work_manifest_id");