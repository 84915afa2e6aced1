import { describe, expect, it } from 'vitest';
import { UntrustedFileError, UntrustedFileReader } from './untrusted-file.js';

const misbehaving = new URL('../../test/fixtures/misbehaving-import-worker.ts', import.meta.url);
const reader = (limits: ConstructorParameters<typeof UntrustedFileReader>[0] = {}, hooks = {}) => new UntrustedFileReader({ timeoutMs: 1000, memoryMb: 64, ...limits }, hooks, misbehaving);
// The fixture ignores the parser name; the reader's type wants one of the real ones.
const run = (r: UntrustedFileReader, behave: string, value?: unknown) => r.parse('holiday-csv', { behave, value } as never) as Promise<unknown>;

describe('UntrustedFileReader', () => {
  it('terminates a parser stuck in a loop at the time limit (422) while this thread keeps running', async () => {
    let ticks = 0;
    const interval = setInterval(() => ticks++, 10);
    const pending = run(reader(), 'spin');
    // The event loop is free: timers fire while the worker spins.
    await new Promise<void>((resolve) => {
      const check = setInterval(() => ticks >= 3 && (clearInterval(check), resolve()), 10);
    });
    const err = await pending.catch((e: unknown) => e);
    clearInterval(interval);
    expect(err).toBeInstanceOf(UntrustedFileError);
    expect((err as UntrustedFileError).status).toBe(422);
    expect((err as UntrustedFileError).kind).toBe('timed_out');
    expect((err as Error).message).toMatch(/took longer than 1 s and was stopped/);
  });

  it('stops a parser that exceeds its heap limit (413), and the next parse works', async () => {
    const r = reader({ timeoutMs: 60_000, memoryMb: 32 });
    const err = await run(r, 'allocate').catch((e: unknown) => e);
    expect((err as UntrustedFileError).status).toBe(413);
    expect((err as Error).message).toMatch(/more than 32 MB of memory/);
    expect(await run(r, 'echo', { ok: 1 })).toEqual({ ok: 1 });
  });

  it('passes on a refusal and reports every start and end', async () => {
    const seen: string[] = [];
    const r = reader({}, { onStart: () => seen.push('start'), onEnd: (_p: string, o: string) => seen.push(o) });
    const err = await run(r, 'throw').catch((e: unknown) => e);
    expect((err as UntrustedFileError).kind).toBe('malformed');
    expect(seen).toEqual(['start', 'malformed']);
  });

  it('runs at most `concurrency` parses at once; the rest wait for a free worker', async () => {
    let running = 0;
    let most = 0;
    const r = reader({ concurrency: 2 }, { onStart: () => (most = Math.max(most, ++running)), onEnd: () => running-- });
    const results = await Promise.all([1, 2, 3, 4, 5].map((v) => run(r, 'echo', v)));
    expect(results).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(2);
  });

  it('refuses an import with 503 rather than queue it when too many are waiting', async () => {
    const r = reader({ concurrency: 1, maxWaiting: 1, timeoutMs: 60_000 });
    const results = await Promise.allSettled([run(r, 'echo', 1), run(r, 'echo', 2), run(r, 'echo', 3)]);
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(((results[2] as PromiseRejectedResult).reason as UntrustedFileError).status).toBe(503);
  });

  it('stops running imports on close (503) and refuses new ones', async () => {
    const r = reader({ timeoutMs: 60_000 });
    const seen: string[] = [];
    const pending = run(r, 'spin').catch((e: UntrustedFileError) => e);
    // Close once the spinning parse is under way.
    await new Promise<void>((resolve) => {
      const check = setInterval(() => (r as unknown as { stops: Set<unknown> }).stops.size > 0 && (clearInterval(check), resolve()), 10);
    });
    r.close();
    const err = (await pending) as UntrustedFileError;
    seen.push(String(err.status));
    const later = (await run(r, 'echo', 1).catch((e: UntrustedFileError) => e)) as UntrustedFileError;
    seen.push(String(later.status));
    expect(seen).toEqual(['503', '503']);
  });
});
