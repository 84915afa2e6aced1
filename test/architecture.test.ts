/**
 * The dependency rules of ../shared/conventions.md, checked on every `npm test`:
 * - the mocks in tools/ implement their protocols on their own: nothing from src/;
 * - domain modules (rules, routing, compliance, operators) take plain data and return decisions:
 *   no HTTP, database, queue or logging framework, and nothing from store/, api/, jobs/, pipeline/, channels/;
 * - the pipeline never sees a channel: channels depend on the pipeline's channel-neutral types, not the reverse.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(rel));
    else if (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name)) out.push(rel);
  }
  return out;
}

/** Every module a file imports (static, dynamic, re-exports), relative ones as repository paths. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const specs = [...text.matchAll(/(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? m[2] ?? m[3]!);
  return specs.map((s) => (s.startsWith('.') ? path.normalize(path.join(path.dirname(file), s)) : s));
}

const violations = (files: string[], forbidden: (spec: string) => boolean) =>
  files.flatMap((f) => importsOf(f).filter(forbidden).map((spec) => `${f} imports ${spec}`));

describe('dependency rules', () => {
  it('the mocks in tools/ import nothing from src/', () => {
    expect(violations(sources('tools'), (s) => s.startsWith('src/') || s === 'src')).toEqual([]);
  });

  it('domain modules import no HTTP, database or framework code', () => {
    const domain = ['src/rules', 'src/routing', 'src/compliance', 'src/operators'].flatMap(sources);
    const frameworks = /^(fastify|@fastify\/|kysely|better-sqlite3|pg|ioredis|pino|prom-client)(\/|$)/;
    const layers = /^src\/(store|api|jobs|pipeline|channels|cli)\//;
    expect(violations(domain, (s) => frameworks.test(s) || layers.test(s))).toEqual([]);
  });

  it('the pipeline never imports a channel', () => {
    expect(violations(sources('src/pipeline'), (s) => s.startsWith('src/channels/'))).toEqual([]);
  });

  it('the check sees imports (a file that breaks a rule would be found)', () => {
    expect(importsOf('src/jobs/servicer-sync.ts')).toContain('src/store/routing-repo.js');
    expect(importsOf('src/cli/start.ts')).toContain('tools/mock-wecom/server.js');
  });
});
