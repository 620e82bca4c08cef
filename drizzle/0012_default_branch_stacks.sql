ALTER TABLE "default_branch_snapshots" ADD COLUMN "stacks" jsonb;--> statement-breakpoint
-- The Stack API reads snapshots as the tenant: row-level security as for every per-installation table.
GRANT SELECT ON default_branch_snapshots TO terragate_app;
--> statement-breakpoint
ALTER TABLE default_branch_snapshots ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE default_branch_snapshots FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY system_access ON default_branch_snapshots FOR ALL TO public
  USING (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint))
  WITH CHECK (current_user <> 'terragate_app' AND (nullif(current_setting('terragate.installation_id', true), '')::bigint IS NULL OR installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint));
--> statement-breakpoint
CREATE POLICY tenant_access ON default_branch_snapshots FOR ALL TO terragate_app
  USING (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint)
  WITH CHECK (installation_id = nullif(current_setting('terragate.installation_id', true), '')::bigint);
