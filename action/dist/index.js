import { createRequire as __terragateCreateRequire } from 'node:module';
const require = __terragateCreateRequire(import.meta.url);

// action/index.ts
process.stderr.write("::error::the Terragate action is not built yet\n");
process.exitCode = 1;
