/**
 * "Parse an untrusted file in a worker with limits": every import (risk words, holiday calendars,
 * orders and whatever comes next) reads the uploaded bytes here, never on the event loop.
 *
 * Each parse runs in its own worker thread (node:worker_threads) that
 *   - has a heap limit (resourceLimits): a file that needs more memory kills only its worker;
 *   - is terminated when it runs past its time limit (the clock starts once the worker has loaded
 *     its parser, so start-up is not charged to the file);
 *   - parses with the parser's own caps (decompressed bytes counted while inflating, rows, cells).
 * At most `concurrency` parses run at once; further imports wait for a free worker.
 * Failures come back as UntrustedFileError: 413 for too large (bytes, rows, memory), 422 for
 * malformed or too slow, each with a sentence that says what to do.
 *
 * A new import adds its parser to parsers.ts and calls `reader.parse('<name>', input)`.
 */
import { Worker } from 'node:worker_threads';
import type { ParserInput, ParserName, ParserOutput } from './parsers.js';

export type UntrustedFileFailure = 'too_large' | 'malformed' | 'timed_out' | 'busy';

export class UntrustedFileError extends Error {
  constructor(
    readonly kind: UntrustedFileFailure,
    message: string,
  ) {
    super(message);
  }

  /** 413 for a file over a size limit, 422 for one that cannot be read (malformed, or too slow to read), 503 when too many imports wait. */
  get status(): 413 | 422 | 503 {
    return this.kind === 'too_large' ? 413 : this.kind === 'busy' ? 503 : 422;
  }
}

export interface UntrustedFileLimits {
  /** Wall time one parse may take once its worker is up (ms). */
  timeoutMs: number;
  /** Heap of one parsing worker (MB). */
  memoryMb: number;
  /** Parses running at once. */
  concurrency: number;
  /** Imports waiting for a free worker; one more is refused (503) rather than queued without end. */
  maxWaiting: number;
}

export const DEFAULT_UNTRUSTED_FILE_LIMITS: UntrustedFileLimits = { timeoutMs: 15_000, memoryMb: 256, concurrency: 2, maxWaiting: 20 };

/** Loading the parser's modules is our code, not the file's; bounded anyway so a broken install cannot hang an import. */
const BOOT_TIMEOUT_MS = 60_000;

export interface UntrustedFileHooks {
  onStart?(parser: ParserName): void;
  onEnd?(parser: ParserName, outcome: 'ok' | UntrustedFileFailure): void;
}

/** Messages from parse-worker.ts. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'done'; result: unknown }
  | { type: 'refused'; kind: UntrustedFileFailure; message: string }
  | { type: 'crashed'; message: string };

export class UntrustedFileReader {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Stops every running worker (on shutdown), each import answering 503. */
  private readonly stops = new Set<() => void>();
  private closed = false;
  readonly limits: UntrustedFileLimits;

  constructor(
    limits: Partial<UntrustedFileLimits> = {},
    private readonly hooks: UntrustedFileHooks = {},
    /** The worker module (tests substitute one that misbehaves); default parse-worker beside this file. */
    private readonly entry?: URL,
  ) {
    this.limits = { ...DEFAULT_UNTRUSTED_FILE_LIMITS, ...limits };
  }

  /** Runs parser `name` on `input` in a fresh worker; rejects with UntrustedFileError when the file is refused. */
  async parse<N extends ParserName>(name: N, input: ParserInput<N>): Promise<ParserOutput<N>> {
    await this.slot();
    this.hooks.onStart?.(name);
    let outcome: 'ok' | UntrustedFileFailure = 'ok';
    try {
      return (await runWorker(name, input, this.limits, this.entry, this.stops)) as ParserOutput<N>;
    } catch (err) {
      if (err instanceof UntrustedFileError) outcome = err.kind;
      throw err;
    } finally {
      this.hooks.onEnd?.(name, outcome);
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /** On shutdown: running imports are stopped and answer 503, waiting and new ones too. */
  close(): void {
    this.closed = true;
    for (const stop of [...this.stops]) stop();
    for (const wake of this.waiting.splice(0)) wake();
  }

  private async slot(): Promise<void> {
    if (this.closed) throw shuttingDown();
    if (this.running < this.limits.concurrency) {
      this.running++;
      return;
    }
    if (this.waiting.length >= this.limits.maxWaiting) {
      throw new UntrustedFileError('busy', `${this.running} imports are being read and ${this.waiting.length} are waiting; try again in a minute.`);
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    if (this.closed) throw shuttingDown();
    this.running++;
  }
}

function spawn(workerData: unknown, limits: UntrustedFileLimits, entry?: URL): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: limits.memoryMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, Math.floor(limits.memoryMb / 8))), stackSizeMb: 4 };
  const here = import.meta.url;
  const file = entry ?? new URL(here.endsWith('.ts') ? './parse-worker.ts' : './parse-worker.js', here);
  // execArgv: [] so flags of the parent process (--input-type, --inspect…) do not reach the worker.
  if (!file.pathname.endsWith('.ts')) return new Worker(file, { workerData, resourceLimits, execArgv: [] });
  // Running from the TypeScript sources (tests, development): load the worker through tsx.
  const boot = `const { workerData } = require('node:worker_threads');
import(workerData.tsx).then((m) => m.tsImport(workerData.entry, workerData.entry)).catch((err) => { console.error(err); process.exit(70); });`;
  return new Worker(boot, {
    eval: true,
    execArgv: [],
    workerData: { ...(workerData as object), tsx: import.meta.resolve('tsx/esm/api'), entry: file.href },
    resourceLimits,
  });
}

const shuttingDown = () => new UntrustedFileError('busy', 'WeReply is shutting down; import the file again in a minute.');

function runWorker(parser: ParserName, input: unknown, limits: UntrustedFileLimits, entry: URL | undefined, stops: Set<() => void>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = spawn({ parser, input }, limits, entry);
    let settled = false;
    const stop = () => finish(() => reject(shuttingDown()));
    stops.add(stop);
    const seconds = `${Math.round(limits.timeoutMs / 100) / 10} s`;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      stops.delete(stop);
      clearTimeout(timer);
      void worker.terminate();
      fn();
    };
    let timer = setTimeout(() => finish(() => reject(new Error(`the import worker did not start within ${BOOT_TIMEOUT_MS / 1000} s`))), BOOT_TIMEOUT_MS);
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new UntrustedFileError(
                  'timed_out',
                  `reading the file took longer than ${seconds} and was stopped; it is probably not what it claims to be (e.g. a workbook padded with millions of empty cells). Save it again from Excel or WPS, or as CSV UTF-8, and import that.`,
                ),
              ),
            ),
          limits.timeoutMs,
        );
      } else if (m.type === 'done') finish(() => resolve(m.result));
      else if (m.type === 'refused') finish(() => reject(new UntrustedFileError(m.kind, m.message)));
      else finish(() => reject(new Error(`the import worker failed: ${m.message}`)));
    });
    worker.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'ERR_WORKER_OUT_OF_MEMORY')
        finish(() => reject(new UntrustedFileError('too_large', `reading the file needed more than ${limits.memoryMb} MB of memory and was stopped. Split it into smaller files, or save only the sheet you need.`)));
      else finish(() => reject(err));
    });
    worker.on('exit', (code) => finish(() => reject(new Error(`the import worker exited (code ${code}) before answering`))));
  });
}
