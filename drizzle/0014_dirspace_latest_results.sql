CREATE TABLE "dirspace_latest_results" (
	"installation_id" bigint NOT NULL,
	"repository_id" bigint NOT NULL,
	"pull_request_id" bigint,
	"dir" text NOT NULL,
	"workspace" text NOT NULL,
	"slot" text NOT NULL,
	"work_manifest_id" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "dirspace_latest_results" ADD CONSTRAINT "dirspace_latest_results_installation_id_installations_id_fk" FOREIGN KEY ("installation_id") REFERENCES "public"."installations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dirspace_latest_results" ADD CONSTRAINT "dirspace_latest_results_repository_id_repositories_id_fk" FOREIGN KEY ("repository_id") REFERENCES "public"."repositories"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dirspace_latest_results" ADD CONSTRAINT "dirspace_latest_results_pull_request_id_pull_requests_id_fk" FOREIGN KEY ("pull_request_id") REFERENCES "public"."pull_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "dirspace_latest_results_repository_key" ON "dirspace_latest_results" USING btree ("repository_id","dir","workspace","slot") WHERE "dirspace_latest_results"."pull_request_id" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "dirspace_latest_results_pull_request_key" ON "dirspace_latest_results" USING btree ("pull_request_id","dir","workspace","slot") WHERE "dirspace_latest_results"."pull_request_id" is not null;--> statement-breakpoint
CREATE INDEX "dirspace_latest_results_work_manifest_idx" ON "dirspace_latest_results" USING btree ("work_manifest_id");--> statement-breakpoint
-- Each statement that inserts dirspace results records them here in its own transaction (the newest
-- run per dirspace and slot, per repository and per PR): the dashboard reads one row per dirspace
-- instead of every result the repository or PR ever had. Runs as the inserting role, so row-level
-- security checks these rows as it checks the results themselves.
CREATE FUNCTION terragate_record_latest_results() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO dirspace_latest_results AS t (installation_id, repository_id, pull_request_id, dir, workspace, slot, work_manifest_id, created_at)
  SELECT DISTINCT ON (r.repository_id, r.dir, r.workspace, r.slot) r.installation_id, r.repository_id, NULL, r.dir, r.workspace, r.slot, r.id, r.created_at
  FROM (SELECT m.installation_id, m.repository_id, d.dir, d.workspace, m.id, m.created_at, CASE WHEN m.kind = 'drift' OR (m.pull_request_id IS NULL AND m.kind = 'plan') THEN 'drift' WHEN m.kind = 'plan' THEN 'plan' ELSE 'apply' END AS slot
    FROM new_rows d JOIN work_manifests m ON m.id = d.work_manifest_id) r
  ORDER BY r.repository_id, r.dir, r.workspace, r.slot, r.created_at DESC, r.id DESC
  ON CONFLICT (repository_id, dir, workspace, slot) WHERE pull_request_id IS NULL
  DO UPDATE SET work_manifest_id = excluded.work_manifest_id, created_at = excluded.created_at
  WHERE (excluded.created_at, excluded.work_manifest_id) > (t.created_at, t.work_manifest_id);
  INSERT INTO dirspace_latest_results AS t (installation_id, repository_id, pull_request_id, dir, workspace, slot, work_manifest_id, created_at)
  SELECT DISTINCT ON (r.pull_request_id, r.dir, r.workspace, r.slot) r.installation_id, r.repository_id, r.pull_request_id, r.dir, r.workspace, r.slot, r.id, r.created_at
  FROM (SELECT m.installation_id, m.repository_id, m.pull_request_id, d.dir, d.workspace, m.id, m.created_at, CASE WHEN m.kind = 'drift' OR (m.pull_request_id IS NULL AND m.kind = 'plan') THEN 'drift' WHEN m.kind = 'plan' THEN 'plan' ELSE 'apply' END AS slot
    FROM new_rows d JOIN work_manifests m ON m.id = d.work_manifest_id WHERE m.pull_request_id IS NOT NULL) r
  ORDER BY r.pull_request_id, r.dir, r.workspace, r.slot, r.created_at DESC, r.id DESC
  ON CONFLICT (pull_request_id, dir, workspace, slot) WHERE pull_request_id IS NOT NULL
  DO UPDATE SET work_manifest_id = excluded.work_manifest_id, created_at = excluded.created_at
  WHERE (excluded.created_at, excluded.work_manifest_id) > (t.created_at, t.work_manifest_id);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER work_manifest_dirspaces_record_latest AFTER INSERT ON work_manifest_dirspaces
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION terragate_record_latest_results();
--> statement-breakpoint
-- A deleted result (its run, PR or repository deleted) gives way to the newest result left, if any.
CREATE FUNCTION terragate_forget_latest_results() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  gone record;
BEGIN
  FOR gone IN
    DELETE FROM dirspace_latest_results t USING old_rows o
    WHERE t.work_manifest_id = o.work_manifest_id AND t.dir = o.dir AND t.workspace = o.workspace
    RETURNING t.installation_id, t.repository_id, t.pull_request_id, t.dir, t.workspace, t.slot
  LOOP
    -- Nothing to refill when the repository or PR itself is being deleted.
    CONTINUE WHEN NOT EXISTS (SELECT 1 FROM repositories r WHERE r.id = gone.repository_id)
      OR (gone.pull_request_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pull_requests p WHERE p.id = gone.pull_request_id));
    INSERT INTO dirspace_latest_results (installation_id, repository_id, pull_request_id, dir, workspace, slot, work_manifest_id, created_at)
    SELECT m.installation_id, m.repository_id, gone.pull_request_id, d.dir, d.workspace, gone.slot, m.id, m.created_at
    FROM work_manifest_dirspaces d JOIN work_manifests m ON m.id = d.work_manifest_id
    WHERE d.installation_id = gone.installation_id AND d.dir = gone.dir AND d.workspace = gone.workspace
      AND m.repository_id = gone.repository_id
      AND (gone.pull_request_id IS NULL OR m.pull_request_id = gone.pull_request_id)
      AND CASE WHEN m.kind = 'drift' OR (m.pull_request_id IS NULL AND m.kind = 'plan') THEN 'drift' WHEN m.kind = 'plan' THEN 'plan' ELSE 'apply' END = gone.slot
    ORDER BY m.created_at DESC, m.id DESC
    LIMIT 1;
  END LOOP;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER work_manifest_dirspaces_forget_latest AFTER DELETE ON work_manifest_dirspaces
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION terragate_forget_latest_results();
--> statement-breakpoint
-- The history so far.
INSERT INTO dirspace_latest_results AS t (installation_id, repository_id, pull_request_id, dir, workspace, slot, work_manifest_id, created_at)
  SELECT DISTINCT ON (r.repository_id, r.dir, r.workspace, r.slot) r.installation_id, r.repository_id, NULL, r.dir, r.workspace, r.slot, r.id, r.created_at
  FROM (SELECT m.installation_id, m.repository_id, d.dir, d.workspace, m.id, m.created_at, CASE WHEN m.kind = 'drift' OR (m.pull_request_id IS NULL AND m.kind = 'plan') THEN 'drift' WHEN m.kind = 'plan' THEN 'plan' ELSE 'apply' END AS slot
    FROM work_manifest_dirspaces d JOIN work_manifests m ON m.id = d.work_manifest_id) r
  ORDER BY r.repository_id, r.dir, r.workspace, r.slot, r.created_at DESC, r.id DESC
  ON CONFLICT (repository_id, dir, workspace, slot) WHERE pull_request_id IS NULL
  DO UPDATE SET work_manifest_id = excluded.work_manifest_id, created_at = excluded.created_at
  WHERE (excluded.created_at, excluded.work_manifest_id) > (t.created_at, t.work_manifest_id);
--> statement-breakpoint
INSERT INTO dirspace_latest_results AS t (installation_id, repository_id, pull_request_id, dir, workspace, slot, work_manifest_id, created_at)
  SELECT DISTINCT ON (r.pull_request_id, r.dir, r.workspace, r.slot) r.installation_id, r.repository_id, r.pull_request_id, r.dir, r.workspace, r.slot, r.id, r.created_at
  FROM (SELECT m.installation_id, m.repository_id, m.pull_request_id, d.dir, d.workspace, m.id, m.created_at, CASE WHEN m.kind = 'drift' OR (m.pull_request_id IS NULL AND m.kind = 'plan') THEN 'drift' WHEN m.kind = 'plan' THEN 'plan' ELSE 'apply' END AS slot
    FROM work_manifest_dirspaces d JOIN work_manifests m ON m.id = d.work_manifest_id WHERE m.pull_request_id IS NOT NULL) r
  ORDER BY r.pull_request_id, r.dir, r.workspace, r.slot, r.created_at DESC, r.id DESC
  ON CONFLICT (pull_request_id, dir, workspace, slot) WHERE pull_request_id IS NOT NULL
  DO UPDATE SET work_manifest_id = excluded.work_manifest_id, created_at = excluded.created_at
  WHERE (excluded.created_at, excluded.work_manifest_id) > (t.created_at, t.work_manifest_id);
--> statement-breakpoint
GRANT SELECT ON dirspace_latest_results TO terragate_app;
--> statement-breakpoint
ALTER TABLE dirspace_latest_results ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE dirspace_latest_results FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY system_access ON dirspace_latest_results FOR ALL TO public
  USING (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint))
  WITH CHECK (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint));
--> statement-breakpoint
CREATE POLICY tenant_access ON dirspace_latest_results FOR ALL TO terragate_app
  USING (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint)
  WITH CHECK (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint);
