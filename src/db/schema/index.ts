// The database schema: one aggregate per file, re-exported for drizzle and the query modules.
export * from "./api-keys.ts";
export * from "./api-signing-keys.ts";
export * from "./app-credentials.ts";
export * from "./audit-log.ts";
export * from "./dashboard-sessions.ts";
export * from "./default-branch-snapshots.ts";
export * from "./drift.ts";
export * from "./gitlab-connections.ts";
export * from "./installations.ts";
export * from "./kv.ts";
export * from "./locks.ts";
export * from "./plans.ts";
export * from "./pull-requests.ts";
export * from "./setup-states.ts";
export * from "./webhook-deliveries.ts";
export * from "./work-manifests.ts";
export * from "./worker-pools.ts";
