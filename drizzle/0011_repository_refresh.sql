CREATE TABLE "default_branch_snapshots" (
	"repository_id" bigint PRIMARY KEY NOT NULL,
	"installation_id" bigint NOT NULL,
	"branch" text NOT NULL,
	"sha" text NOT NULL,
	"config_problems" text[] NOT NULL,
	"drift" jsonb,
	"dirspaces" jsonb NOT NULL,
	"refreshed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "repositories" ADD COLUMN "archived" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "default_branch_snapshots" ADD CONSTRAINT "default_branch_snapshots_repository_id_repositories_id_fk" FOREIGN KEY ("repository_id") REFERENCES "public"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "default_branch_snapshots" ADD CONSTRAINT "default_branch_snapshots_installation_id_installations_id_fk" FOREIGN KEY ("installation_id") REFERENCES "public"."installations"("id") ON DELETE cascade ON UPDATE no action;