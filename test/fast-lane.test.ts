/**
 * The outbox fast lane: a reply is claimed in the same commit that stores the customer's message, so
 * it goes out without the outbox worker having to be woken and claim it in a commit of its own. Here
 * the worker is never woken and polls only every 10 minutes: the reply still arrives, and its attempt
 * is recorded (crash safety) before the call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalWakeup, type Topic, type Wakeup } from '../src/jobs/wakeup.js';
import { ENGINES, eventually, startStack, type Stack } from './stack.js';

/** Passes job signals, swallows outbox signals while `swallow` is on. */
class NoOutboxSignals implements Wakeup {
  swallow = true;
  private readonly local = new LocalWakeup();
  notify(topic: Topic): void {
    if (topic !== 'outbox' || !this.swallow) this.local.notify(topic);
  }
  wait(topic: Topic, timeoutMs: number): Promise<void> {
    return this.local.wait(topic, timeoutMs);
  }
}

describe.each(ENGINES)('outbox fast lane on %s', (engine) => {
  let s: Stack;
  const wakeup = new NoOutboxSignals();
  beforeAll(async () => {
    s = await startStack(engine, { wereply: { wakeup, outbox: { pollMs: 10 * 60_000 } } });
    expect((await s.api('POST', '/api/rules', { name: '退货', match: { any: ['退货'] }, reply: [{ type: 'text', text: '退货说明' }] })).status).toBe(201);
    await new Promise((r) => setTimeout(r, 300)); // the worker's first (empty) look is over
  });
  afterAll(async () => {
    wakeup.swallow = false; // so the worker can be told to stop
    await s?.close();
  });

  it('sends the reply claimed in the commit that stored the message, with the attempt recorded', async () => {
    await s.mock.customerSays({ external_userid: 'wm_fast', text: '我要退货' });
    const sent = await s.mock.waitForSent(1, 10_000, (r) => r.body.touser === 'wm_fast');
    expect((sent[0]!.body.text as { content: string }).content).toBe('退货说明');
    const attempt = () =>
      s.wr.store.db
        .selectFrom('outbox_attempts as a')
        .innerJoin('outbox as o', 'o.id', 'a.outbox_id')
        .innerJoin('conversations as c', 'c.id', 'o.conversation_id')
        .select(['a.outcome', 'o.status'])
        .where('c.external_userid', '=', 'wm_fast')
        .executeTakeFirst();
    await eventually(async () => (await attempt())?.status === 'sent');
    expect(await attempt()).toMatchObject({ outcome: 'ok', status: 'sent' });
  });
});
