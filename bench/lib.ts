/**
 * Shared helpers for the benchmarks: percentiles and tables, a typed autocannon entry point, and a
 * tiny request/answer channel to a worker thread.
 *
 * Why worker threads: the machine the numbers are published from has 2 cores. The HTTP server under
 * test (WeReply or its baseline) runs in its own thread and the load generator (autocannon, or the
 * mock WeCom that injects messages) in the main thread, so each has one core and neither waits on
 * the other's event loop. WeReply and the baseline get exactly the same arrangement, which is what
 * makes the ratio between them meaningful; the absolute numbers depend on the machine.
 */
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';

// ------------------------------------------------------------------------------------ statistics

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array (p in 0..100); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((s, v) => s + v, 0) / sorted.length : Number.NaN;
  return {
    count: sorted.length,
    mean,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}

/** A number for a table: thousands separators, `digits` decimals; '—' for NaN/undefined. */
export function fmt(n: number | undefined | null, digits = 0): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function pct(ratio: number | undefined | null, digits = 0): string {
  if (ratio === undefined || ratio === null || !Number.isFinite(ratio)) return '—';
  return `${(ratio * 100).toFixed(digits)}%`;
}

/** Prints an aligned plain-text table (numbers right-aligned). */
export function printTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[], out: (line: string) => void = console.log): void {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)));
  const width = (s: string) => [...s].reduce((w, ch) => w + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1), 0);
  const widths = headers.map((h, i) => Math.max(width(h), ...cells.map((r) => width(r[i] ?? ''))));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || /^[≥>]?[-+]?[\d,.]+(%|x| ms)?$|^—$/.test(String(r[i]))));
  const pad = (s: string, i: number) => {
    const gap = ' '.repeat(Math.max(0, (widths[i] ?? 0) - width(s)));
    return numeric[i] ? gap + s : s + gap;
  };
  out(headers.map((h, i) => pad(h, i)).join('  '));
  out(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells) out(r.map((c, i) => pad(c, i)).join('  '));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * CPU other processes use right now, in cores (Linux /proc/stat, sampled over `ms` while this
 * process idles); undefined elsewhere. The machine is shared: a busy neighbour makes numbers noisy.
 */
export async function otherCpuCores(ms = 500): Promise<number | undefined> {
  const read = (): { busy: number; total: number } | undefined => {
    try {
      const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
      const v = line.trim().split(/\s+/).slice(1).map(Number);
      const idle = (v[3] ?? 0) + (v[4] ?? 0);
      const total = v.reduce((a, b) => a + b, 0);
      return { busy: total - idle, total };
    } catch {
      return undefined;
    }
  };
  const a = read();
  const own0 = process.cpuUsage();
  await sleep(ms);
  const b = read();
  const own = process.cpuUsage(own0);
  if (!a || !b || b.total === a.total) return undefined;
  const cores = os.cpus().length;
  const busyCores = ((b.busy - a.busy) / (b.total - a.total)) * cores;
  return Math.max(0, busyCores - (own.user + own.system) / 1000 / ms);
}

/** One line about the machine, with a warning when other processes are busy. */
export async function machineLine(): Promise<string> {
  const other = await otherCpuCores();
  const base = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`;
  if (other === undefined) return base;
  return `${base}; other processes were using ${other.toFixed(2)} cores at the start${other > 0.25 ? ' — WARNING: numbers will be noisy, rerun on a quiet machine' : ''}`;
}

/** True when this module file is the script node was started with (not imported, not a worker). */
export function isMain(moduleUrl: string): boolean {
  if (!isMainThread || !process.argv[1]) return false;
  try {
    return fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** The repository root (the folder with package.json) above this file, in src or in dist. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

// ------------------------------------------------------------------------------------ autocannon

/** One entry of autocannon's `requests` option. */
export interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Called before each request is sent; returns the request to send. */
  setupRequest?: (req: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest | null;
}

export interface AutocannonOptions {
  url: string;
  connections?: number;
  /** Seconds. */
  duration?: number;
  pipelining?: number;
  /** Per-request timeout, seconds. */
  timeout?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  requests?: AutocannonRequest[];
}

interface Histogram {
  average: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  total: number;
  p50: number;
  p90: number;
  p99: number;
  [percentile: string]: number;
}

/** The parts of autocannon's result the benchmarks use. */
export interface AutocannonResult {
  /** `sent`: requests written to the server, answered or not. */
  requests: Histogram & { sent: number };
  latency: Histogram;
  throughput: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  totalCompletedRequests: number;
  statusCodeStats: Record<string, { count: number }>;
}

type AutocannonFn = (opts: AutocannonOptions) => Promise<AutocannonResult>;

let autocannonFn: AutocannonFn | undefined;

/**
 * autocannon (a CommonJS package without bundled types), loaded on first use so that worker threads
 * importing a benchmark module do not pay for it.
 */
export function autocannon(opts: AutocannonOptions): Promise<AutocannonResult> {
  autocannonFn ??= createRequire(import.meta.url)('autocannon') as AutocannonFn;
  return autocannonFn(opts);
}

// ------------------------------------------------------------------------------------ threads

type Handlers = Record<string, (arg: any) => unknown>;

interface CallMessage {
  id: number;
  method: string;
  arg: unknown;
}

interface AnswerMessage {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

/**
 * A benchmark module started as a worker thread: `call(method, arg)` runs the handler the worker
 * registered with `serveParent` and resolves with its result.
 */
export class BenchThread {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private exited = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: AnswerMessage) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.error));
    });
    const failAll = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => failAll(err));
    worker.on('exit', (code) => {
      this.exited = true;
      failAll(new Error(`benchmark worker exited (code ${code})`));
    });
  }

  /** Starts `moduleUrl` (a benchmark module) in a worker thread with `workerData`. */
  static start(moduleUrl: string | URL, workerData: unknown): BenchThread {
    return new BenchThread(new Worker(new URL(moduleUrl), { workerData }));
  }

  call<T = unknown>(method: string, arg?: unknown): Promise<T> {
    if (this.exited) return Promise.reject(new Error('benchmark worker has exited'));
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, method, arg } satisfies CallMessage);
    });
  }

  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
  }
}

/** Worker side of BenchThread: answers the parent's calls with these handlers. */
export function serveParent(handlers: Handlers): void {
  const port = parentPort;
  if (!port) throw new Error('serveParent must run in a worker thread');
  port.on('message', (m: CallMessage) => {
    const handler = handlers[m.method];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`no handler "${m.method}" in the benchmark worker`);
        return handler(m.arg);
      })
      .then(
        (value) => port.postMessage({ id: m.id, ok: true, value } satisfies AnswerMessage),
        (err: unknown) => port.postMessage({ id: m.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies AnswerMessage),
      );
  });
}

/** A clock with sub-millisecond resolution on the Date.now() time line (ms since the epoch). */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The number after `--name` on the command line, if any. */
export function numberArg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : undefined;
}
