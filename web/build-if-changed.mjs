/**
 * Builds the console with Vite only when its sources changed since the last build: `npm start` and
 * `npm test` run `npm run build` every time and must stay quick. The hash of every input file is
 * kept in dist/.build-hash; WEREPLY_FORCE_CONSOLE_BUILD=1 rebuilds regardless.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
// The root lockfile too: a dependency upgrade changes the output without touching web/.
const inputs = ['index.html', 'vite.config.ts', 'package.json', 'tsconfig.json', 'src', 'public', '../package-lock.json'];

function files(p) {
  const abs = path.join(here, p);
  if (!fs.existsSync(abs)) return [];
  if (fs.statSync(abs).isFile()) return [p];
  return fs.readdirSync(abs).sort().flatMap((name) => files(path.join(p, name)));
}

const hash = crypto.createHash('sha256');
for (const f of inputs.flatMap(files)) hash.update(f).update('\0').update(fs.readFileSync(path.join(here, f))).update('\0');
const digest = hash.digest('hex');
const stamp = path.join(here, 'dist', '.build-hash');
const built = fs.existsSync(path.join(here, 'dist', 'index.html')) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8').trim() === digest;

if (built && !process.env.WEREPLY_FORCE_CONSOLE_BUILD) {
  console.log('console: web/dist is up to date');
} else {
  const { build } = await import('vite');
  await build({ root: here, configFile: path.join(here, 'vite.config.ts'), logLevel: 'warn' });
  // Pre-compressed copies (brotli and gzip) that WeReply serves to browsers that accept them.
  const assets = path.join(here, 'dist', 'assets');
  for (const name of fs.readdirSync(assets)) {
    if (!/\.(js|css|svg|json)$/.test(name)) continue;
    const bytes = fs.readFileSync(path.join(assets, name));
    if (bytes.length < 1024) continue;
    fs.writeFileSync(path.join(assets, `${name}.br`), zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9 } }));
    fs.writeFileSync(path.join(assets, `${name}.gz`), zlib.gzipSync(bytes, { level: 9 }));
  }
  fs.writeFileSync(stamp, digest + '\n');
  console.log('console: built web/dist');
}
