#!/usr/bin/env node
// `npx wereply …` — runs the compiled CLI (built by `npm install` / `npm start`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('WeReply is not built yet: run `npm install` (or `npm run build`) in the WeReply folder first.');
  process.exit(1);
}
// `wereply … | head`: a reader that stops early is no error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { runCli } = await import(main.href);
process.exitCode = await runCli(process.argv.slice(2));
