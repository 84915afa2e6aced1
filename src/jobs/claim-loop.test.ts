import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ClaimLoop } from './claim-loop.js';
import { LocalWakeup } from './wakeup.js';

const silent = pino({ level: 'silent' });

function loop(items: string[], opts: { renew?: (i: string[]) => Promise<void>; release?: (i: string[]) => Promise<void>; run: (i: string) => Promise<void> }) {
  const claimedWith: string[][] = [];
  const l = new ClaimLoop<string>({
    topic: 'jobs',
    wakeup: new LocalWakeup(),
    log: silent,
    concurrency: 4,
    pollMs: 5,
    refillAt: 3,
    claim: async (max, running) => {
      claimedWith.push([...running]);
      return items.splice(0, max);
    },
    run: opts.run,
    describe: (i) => ({ i }),
    heartbeat: { everyMs: 5, renew: opts.renew ?? (async () => undefined) },
    ...(opts.release ? { release: opts.release } : {}),
  });
  return { l, claimedWith };
}

describe('ClaimLoop', () => {
  it('renews the leases of running items, tells claim what runs here, and releases what still runs at stop({ releaseAfterMs })', async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    let renewedWith: string[] = [];
    let renewed!: () => void;
    const beat = new Promise<void>((r) => (renewed = r));
    let released: string[] = [];
    const { l, claimedWith } = loop(['a'], {
      run: () => (started(), new Promise<void>(() => undefined)), // never finishes
      renew: async (i) => {
        renewedWith = i;
        renewed();
      },
      release: async (i) => {
        released = i;
      },
    });
    l.start();
    await running;
    await beat;
    expect(renewedWith).toEqual(['a']);
    // The loop polls on (capacity is free) and tells claim which item runs here.
    while (claimedWith.length < 3) await new Promise((r) => setTimeout(r, 5));
    expect(claimedWith.at(-1)).toEqual(['a']);
    await l.stop({ releaseAfterMs: 0 });
    expect(released).toEqual(['a']);
  });

  it('stop() without releaseAfterMs waits for the items in progress', async () => {
    let finish!: () => void;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    let released = false;
    const { l } = loop(['a'], {
      run: () => (started(), new Promise<void>((r) => (finish = r))),
      release: async () => {
        released = true;
      },
    });
    l.start();
    await running;
    const order: string[] = [];
    const stopping = l.stop().then(() => order.push('stopped'));
    await Promise.resolve();
    order.push('finished');
    finish();
    await stopping;
    expect(order).toEqual(['finished', 'stopped']);
    expect(released).toBe(false);
    expect(l.inProgress).toEqual([]);
  });
});
