ALTER TABLE "work_manifest_dirspaces" ADD COLUMN "plan_id" bigint;--> statement-breakpoint
-- Hand-written: a comment replayed under a new delivery id could start a second run before this
-- index existed; keep the comment on the first run only so the unique index can be built.
UPDATE "work_manifests" SET "comment_id" = NULL WHERE "id" IN (
  SELECT "id" FROM (
    SELECT "id", row_number() OVER (PARTITION BY "repository_id", "comment_id" ORDER BY "created_at", "id") AS "n"
    FROM "work_manifests" WHERE "comment_id" IS NOT NULL
  ) AS "ranked" WHERE "n" > 1
);--> statement-breakpoint
CREATE UNIQUE INDEX "work_manifests_repository_comment_key" ON "work_manifests" USING btree ("repository_id","comment_id") WHERE "work_manifests"."comment_id" is not null;
