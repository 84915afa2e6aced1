#!/usr/bin/env node
// `npx wereply …` — runs the compiled CLI (built by `npm install` / `npm start`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`WeReply needs Node.js 24 LTS (or 22.12+); this is Node.js ${process.versions.node}. Install Node 24 and run \`npm install\` again.`);
  process.exit(1);
}

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
