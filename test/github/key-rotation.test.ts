// A GitHub App key replaced by one of the same size (setup flow run again) is used at once, not the old one.
import { generateKeyPairSync } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config/env.ts";
import { seal } from "../../src/crypto/seal.ts";
import { appCredentials } from "../../src/db/schema/index.ts";
import { appSecretsContext } from "../../src/vcs/github/credentials.ts";
import { createGithubProviderSource } from "../../src/vcs/github/provider-source.ts";
import { type FakeGithub, startFakeGithub } from "../fakes/github/server.ts";
import { createTestDatabase, type TestDatabase } from "../harness/database.ts";

const encryptionKey = Buffer.alloc(32, 5);
let github: FakeGithub;
let database: TestDatabase;

/** Two RSA key pairs whose private PEMs have exactly the same length, as rotated 2048-bit keys usually do. */
function twoKeysOfEqualLength(): [
  { privateKey: string; publicKey: string },
  { privateKey: string; publicKey: string },
] {
  const pair = () =>
    generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
  const first = pair();
  for (;;) {
    const second = pair();
    if (second.privateKey.length === first.privateKey.length) return [first, second];
  }
}

async function storeAppKey(privateKey: string): Promise<void> {
  const secrets = JSON.stringify({ pem: privateKey, webhook_secret: "s", client_secret: null });
  const sealed = seal(encryptionKey, Buffer.from(secrets), appSecretsContext("77"));
  await database.client.db
    .insert(appCredentials)
    .values({ appId: "77", slug: "tg", htmlUrl: "https://github.com/apps/tg", secretsSealed: sealed })
    .onConflictDoUpdate({ target: appCredentials.appId, set: { secretsSealed: sealed } });
}

beforeAll(async () => {
  github = await startFakeGithub();
  database = await createTestDatabase();
  for (const installationId of [1, 2]) {
    github.state.addRepo({ owner: `org${installationId}`, name: "infra", installationId });
    github.state.commit(`org${installationId}/infra`, "main", { "a/main.tf": `# ${installationId}` });
  }
});
afterAll(async () => {
  vi.useRealTimers();
  await github?.close();
  await database?.close();
});

it("signs with the new private key after a rotation to a key of the same length", async () => {
  const [oldKey, newKey] = twoKeysOfEqualLength();
  expect(newKey.privateKey.length).toBe(oldKey.privateKey.length);
  vi.useFakeTimers({ toFake: ["Date"] });
  const source = createGithubProviderSource({
    config: loadConfig({ GITHUB_API_URL: github.url }),
    database: database.client,
    logger: pino({ level: "silent" }),
    encryptionKey,
  });

  github.state.appPublicKeys.set("77", [oldKey.publicKey]);
  await storeAppKey(oldKey.privateKey);
  const first = await source.providerFor("1", "org1", "infra");
  expect(await first.getFile("a/main.tf", "main")).toBe("# 1");

  // The operator rotates the key and deletes the old one on GitHub.
  await storeAppKey(newKey.privateKey);
  github.state.appPublicKeys.set("77", [newKey.publicKey]);
  vi.setSystemTime(Date.now() + 60_000); // past the credentials cache
  const second = await source.providerFor("2", "org2", "infra");
  expect(await second.getFile("a/main.tf", "main")).toBe("# 2");
});
