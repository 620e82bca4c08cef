-- Row-level security: the second wall between installations (tenants).
-- The API runs its tenant-scoped queries as the role terragate_app with terragate.installation_id set
-- for the transaction; that role sees and writes only rows of that installation, and nothing when the
-- setting is missing. Every other session (webhooks, evaluator, runner endpoints, jobs, CLI) keeps full
-- access unless it sets terragate.installation_id itself, in which case it is scoped the same way.
DO $$ BEGIN
  CREATE ROLE terragate_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
--> statement-breakpoint
DO $$ BEGIN
  EXECUTE format('GRANT terragate_app TO %I', current_user);
EXCEPTION WHEN duplicate_object OR unique_violation OR invalid_grant_operation THEN NULL;
END $$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO terragate_app;
--> statement-breakpoint
GRANT SELECT ON installations, repositories, pull_requests, work_manifests, work_manifest_dirspaces TO terragate_app;
--> statement-breakpoint
GRANT SELECT, DELETE ON locks TO terragate_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON api_keys TO terragate_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON kv_entries TO terragate_app;
--> statement-breakpoint
GRANT SELECT, INSERT ON audit_log TO terragate_app;
--> statement-breakpoint
GRANT USAGE ON SEQUENCE audit_log_id_seq TO terragate_app;
--> statement-breakpoint
ALTER TABLE installations ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE installations FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY system_access ON installations FOR ALL TO public
  USING (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR id = nullif(current_setting('terragate.installation_id', true), '')::bigint))
  WITH CHECK (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR id = nullif(current_setting('terragate.installation_id', true), '')::bigint));
--> statement-breakpoint
CREATE POLICY tenant_access ON installations FOR ALL TO terragate_app
  USING (id = nullif(current_setting('terragate.installation_id', true), '')::bigint)
  WITH CHECK (id = nullif(current_setting('terragate.installation_id', true), '')::bigint);
--> statement-breakpoint
ALTER TABLE repositories ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE repositories FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY system_access ON repositories FOR ALL TO public
  USING (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint))
  WITH CHECK (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint));
--> statement-breakpoint
CREATE POLICY tenant_access ON repositories FOR ALL TO terragate_app
  USING (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint)
  WITH CHECK (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint);
--> statement-breakpoint
ALTER TABLE pull_requests ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE pull_requests FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY system_access ON pull_requests FOR ALL TO public
  USING (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint))
  WITH CHECK (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint));
--> statement-breakpoint
CREATE POLICY tenant_access ON pull_requests FOR ALL TO terragate_app
  USING (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint)
  WITH CHECK (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint);
--> statement-breakpoint
ALTER TABLE work_manifests ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE work_manifests FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY system_access ON work_manifests FOR ALL TO public
  USING (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint))
  WITH CHECK (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint));
--> statement-breakpoint
CREATE POLICY tenant_access ON work_manifests FOR ALL TO terragate_app
  USING (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint)
  WITH CHECK (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint);
--> statement-breakpoint
ALTER TABLE work_manifest_dirspaces ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE work_manifest_dirspaces FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY system_access ON work_manifest_dirspaces FOR ALL TO public
  USING (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint))
  WITH CHECK (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint));
--> statement-breakpoint
CREATE POLICY tenant_access ON work_manifest_dirspaces FOR ALL TO terragate_app
  USING (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint)
  WITH CHECK (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint);
--> statement-breakpoint
ALTER TABLE work_tokens ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE work_tokens FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY system_access ON work_tokens FOR ALL TO public
  USING (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint))
  WITH CHECK (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint));
--> statement-breakpoint
CREATE POLICY tenant_access ON work_tokens FOR ALL TO terragate_app
  USING (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint)
  WITH CHECK (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint);
--> statement-breakpoint
ALTER TABLE plans ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE plans FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY system_access ON plans FOR ALL TO public
  USING (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint))
  WITH CHECK (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint));
--> statement-breakpoint
CREATE POLICY tenant_access ON plans FOR ALL TO terragate_app
  USING (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint)
  WITH CHECK (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint);
--> statement-breakpoint
ALTER TABLE locks ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE locks FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY system_access ON locks FOR ALL TO public
  USING (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint))
  WITH CHECK (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint));
--> statement-breakpoint
CREATE POLICY tenant_access ON locks FOR ALL TO terragate_app
  USING (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint)
  WITH CHECK (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint);
--> statement-breakpoint
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY system_access ON api_keys FOR ALL TO public
  USING (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint))
  WITH CHECK (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint));
--> statement-breakpoint
CREATE POLICY tenant_access ON api_keys FOR ALL TO terragate_app
  USING (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint)
  WITH CHECK (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint);
--> statement-breakpoint
ALTER TABLE kv_entries ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE kv_entries FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY system_access ON kv_entries FOR ALL TO public
  USING (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint))
  WITH CHECK (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint));
--> statement-breakpoint
CREATE POLICY tenant_access ON kv_entries FOR ALL TO terragate_app
  USING (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint)
  WITH CHECK (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint);
--> statement-breakpoint
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY system_access ON audit_log FOR ALL TO public
  USING (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint))
  WITH CHECK (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint));
--> statement-breakpoint
CREATE POLICY tenant_access ON audit_log FOR ALL TO terragate_app
  USING (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint)
  WITH CHECK (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint);
