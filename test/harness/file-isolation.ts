// Set up for every test file: files share their worker process (isolate: false), so whatever a file fakes
// or stubs process-wide is undone when it ends, before the next file runs in the same process.
import { afterAll, vi } from "vitest";

afterAll(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});
