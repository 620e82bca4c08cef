CREATE TABLE "drift_firings" (
	"repository_id" bigint NOT NULL,
	"schedule" text NOT NULL,
	"slot" timestamp with time zone NOT NULL,
	"work_manifest_id" uuid,
	"skipped" text,
	"fired_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "drift_firings_repository_id_schedule_slot_pk" PRIMARY KEY("repository_id","schedule","slot")
);
--> statement-breakpoint
CREATE TABLE "drift_issues" (
	"repository_id" bigint PRIMARY KEY NOT NULL,
	"installation_id" bigint NOT NULL,
	"number" integer NOT NULL,
	"state" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "default_branch_snapshots" ADD COLUMN "parallelism" integer DEFAULT 4 NOT NULL;--> statement-breakpoint
ALTER TABLE "drift_firings" ADD CONSTRAINT "drift_firings_repository_id_repositories_id_fk" FOREIGN KEY ("repository_id") REFERENCES "public"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drift_firings" ADD CONSTRAINT "drift_firings_work_manifest_id_work_manifests_id_fk" FOREIGN KEY ("work_manifest_id") REFERENCES "public"."work_manifests"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drift_issues" ADD CONSTRAINT "drift_issues_repository_id_repositories_id_fk" FOREIGN KEY ("repository_id") REFERENCES "public"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drift_issues" ADD CONSTRAINT "drift_issues_installation_id_installations_id_fk" FOREIGN KEY ("installation_id") REFERENCES "public"."installations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "work_manifests_one_drift_in_flight_key" ON "work_manifests" USING btree ("repository_id") WHERE "work_manifests"."kind" = 'drift' and "work_manifests"."state" in ('queued', 'dispatched', 'running');