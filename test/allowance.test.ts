/**
 * 微信客服's 5 messages within 48 h of the customer's last message, when WeReply's view of the
 * allowance and WeCom's drift apart: a send answered late (after the customer wrote again), a customer
 * message WeCom has but WeReply has not pulled, a send WeCom counted twice (95001 from WeCom), and
 * replies that waited too long. The mock WeCom enforces the allowance on its own clock and its own
 * record of the customer's messages. Nothing may be lost, sent twice or sent out of order.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWeReply, type WeReply } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { ENGINES, eventually, startStack, TEST_DATABASE_URL, weReplyEnv, type Stack } from './stack.js';
import type { SentRecord } from '../tools/mock-wecom/server.js';

const SEND = '/cgi-bin/kf/send_msg';
const text = (r: SentRecord) => (r.body.text as { content: string }).content;
const to = (user: string) => (r: SentRecord) => r.touser === user;
const gate = () => {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
};

async function addRules(s: Stack): Promise<void> {
  const rules = [
    { name: 'five', match: { any: ['五连'] }, reply: [1, 2, 3, 4, 5].map((n) => ({ type: 'text', text: `五-${n}` })) },
    // A rule has at most 5 messages: the sixth comes from a second rule matching the same words.
    { name: 'six-a', priority: 5, stop: false, match: { any: ['六连'] }, reply: [1, 2, 3, 4, 5].map((n) => ({ type: 'text', text: `六-${n}` })) },
    { name: 'six-b', priority: 4, match: { any: ['六连'] }, reply: [{ type: 'text', text: '六-6' }] },
    { name: 'again', match: { any: ['再问'] }, reply: [{ type: 'text', text: '再-1' }] },
  ];
  for (const r of rules) expect((await s.api('POST', '/api/rules', r)).status).toBe(201);
}

describe.each(ENGINES)('the send allowance on %s', (engine) => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack(engine);
    await addRules(s);
  });
  afterAll(async () => s?.close());

  const ok = (user: string) => s.mock.sent.filter((r) => r.touser === user && r.errcode === 0 && r.fault !== 'drop-after');
  const outboxOf = async (user: string) => ((await s.api('GET', `/api/outbox?external_userid=${user}&limit=500`)).body as any[]).reverse();
  const rowOf = async (user: string, content: string, status: string) =>
    (await outboxOf(user)).find((r) => r.status === status && r.payload.reply.text === content);

  it('(a) a send WeCom accepted before the customer wrote again, answered after the new message was pulled, is not charged to the new allowance', async () => {
    const user = 'wm_late_answer';
    const answer = gate();
    s.mock.injectFault({ path: SEND, answerAfter: answer.promise, match: (b: any) => b.touser === user && b.text?.content === '五-5' });
    await s.mock.customerSays({ external_userid: user, text: '五连' });
    // WeCom accepted all five (its allowance for that message is used up); the fifth answer is on its way.
    await s.mock.waitForSent(5, 15_000, (r) => to(user)(r) && r.errcode === 0);
    await s.mock.customerSays({ external_userid: user, text: '五连' });
    // WeReply pulled the new message (its five replies wait behind the fifth, still in flight) ...
    await eventually(async () => (await outboxOf(user)).length === 10, 15_000, 'the second message pulled');
    expect((await outboxOf(user))[4].status).toBe('sending');
    // ... and only then learns that the fifth was accepted.
    answer.open();
    const sent = await s.mock.waitForSent(10, 15_000, (r) => to(user)(r) && r.errcode === 0);
    expect(sent.map(text)).toEqual([1, 2, 3, 4, 5, 1, 2, 3, 4, 5].map((n) => `五-${n}`));
    await eventually(async () => (await outboxOf(user)).every((r) => r.status === 'sent'), 10_000, 'all ten sent');
    expect(s.mock.sent.filter((r) => to(user)(r) && r.errcode !== 0)).toEqual([]);
  });

  it('(b) a customer message WeCom has but WeReply has not pulled: the reply waits visibly, then goes first once the message is pulled', async () => {
    const user = 'wm_unpulled';
    await s.mock.customerSays({ external_userid: user, text: '六连' });
    const waiting = await eventually(() => rowOf(user, '六-6', 'waiting_allowance'), 15_000, 'the sixth waiting');
    expect(waiting.reason).toMatch(/5 messages already sent since the customer last wrote: WeCom allows 5 within 48 hours; waits for the customer to write again/);
    // Decided by WeReply from its facts: WeCom was not asked for a refusal.
    expect(s.mock.sent.filter(to(user)).map((r) => r.errcode)).toEqual([0, 0, 0, 0, 0]);
    expect((await s.api('GET', '/api/outbox?status=waiting_allowance')).body.map((r: any) => r.id)).toContain(waiting.id);
    const status = (await s.api('GET', '/api/wecom/status')).body;
    expect(status.outbox.waiting_allowance).toBeGreaterThanOrEqual(1);
    expect(status.recent_waiting.find((w: any) => w.id === waiting.id)).toMatchObject({ external_userid: user, reason: waiting.reason });

    // The customer writes: WeCom resets its allowance at once, WeReply learns of it only when it pulls.
    await s.mock.customerSays({ external_userid: user, text: '再问', callback: false });
    await s.mock.customerSays({ external_userid: 'wm_unpulled_other', text: 'hello' });
    const sent = await s.mock.waitForSent(7, 15_000, (r) => to(user)(r) && r.errcode === 0);
    expect(sent.map(text)).toEqual(['六-1', '六-2', '六-3', '六-4', '六-5', '六-6', '再-1']);
    expect(s.mock.sent.filter((r) => to(user)(r) && r.errcode !== 0)).toEqual([]);
  });

  it('(b) WeCom answers 95001 (it counted a send WeReply saw fail): the reply waits instead of failing and goes out after the next customer message', async () => {
    const user = 'wm_quota_95001';
    // The first send is delivered but its answer is lost: repeated with the same msgid, WeCom counts it twice.
    s.mock.injectFault({ path: SEND, drop: 'after', match: (b: any) => b.touser === user });
    await s.mock.customerSays({ external_userid: user, text: '五连' });
    const waiting = await eventually(() => rowOf(user, '五-5', 'waiting_allowance'), 20_000, 'the fifth waiting');
    expect(waiting.last_errcode).toBe(95001);
    expect(waiting.reason).toMatch(/95001.*waits for the customer to write again/);
    expect(s.mock.sent.filter((r) => to(user)(r) && r.errcode === 95001)).toHaveLength(1);
    await s.mock.customerSays({ external_userid: user, text: '再问' });
    await eventually(async () => (await outboxOf(user)).every((r) => r.status === 'sent'), 15_000, 'all sent');
    expect(ok(user).map(text)).toEqual(['五-1', '五-2', '五-3', '五-4', '五-5', '再-1']);
  });

  it('(d) later replies of the conversation never overtake a waiting one', async () => {
    const user = 'wm_order_kept';
    await s.mock.customerSays({ external_userid: user, text: '六连' });
    await eventually(() => rowOf(user, '六-6', 'waiting_allowance'), 15_000, 'the first sixth waiting');
    await s.mock.customerSays({ external_userid: user, text: '六连' });
    // The second allowance: the waiting sixth first, then four of the new six; the fifth waits, the sixth stays behind it.
    const second = await eventually(async () => {
      const rows = await outboxOf(user);
      return rows.length === 12 && rows[10].status === 'waiting_allowance' ? rows : undefined;
    }, 15_000, 'the second fifth waiting');
    expect(second.map((r) => r.status)).toEqual([...Array(10).fill('sent'), 'waiting_allowance', 'pending']);
    await s.mock.customerSays({ external_userid: user, text: '再问' });
    await s.mock.waitForSent(13, 15_000, (r) => to(user)(r) && r.errcode === 0);
    expect(ok(user).map(text)).toEqual([
      ...['六-1', '六-2', '六-3', '六-4', '六-5', '六-6'],
      ...['六-1', '六-2', '六-3', '六-4', '六-5', '六-6'],
      '再-1',
    ]);
  });

  it('sends nothing twice: every reply WeCom accepted has its own msgid (only the lost answer above was repeated)', async () => {
    const accepted = s.mock.sent.filter((r) => r.errcode === 0 && r.fault !== 'drop-after');
    expect(accepted.length).toBeGreaterThanOrEqual(36);
    expect(new Set(accepted.map((r) => r.msgid)).size).toBe(accepted.length);
    const sentRows = (await s.api('GET', '/api/outbox?status=sent&limit=500')).body as any[];
    expect(sentRows.every((r) => typeof r.accepted_at === 'number')).toBe(true);
  });
});

describe.each(ENGINES)('replies that waited too long on %s', (engine) => {
  let s: Stack;
  let skew = 0;
  beforeAll(async () => {
    // WeReply's outbox clock can run ahead of the wall clock (and of the mock WeCom's).
    s = await startStack(engine, { env: { WEREPLY_ALLOWANCE_MAX_WAIT_SECONDS: '3600' }, wereply: { outbox: { pollMs: 50, now: () => Date.now() + skew } } });
    await addRules(s);
  });
  afterAll(async () => s?.close());
  const outboxOf = async (user: string) => ((await s.api('GET', `/api/outbox?external_userid=${user}&limit=500`)).body as any[]).reverse();

  it('(c) a waiting reply older than WEREPLY_ALLOWANCE_MAX_WAIT_SECONDS is dropped with the reason; later replies go on', async () => {
    const user = 'wm_stale';
    await s.mock.customerSays({ external_userid: user, text: '六连' });
    await eventually(async () => (await outboxOf(user))[5]?.status === 'waiting_allowance', 15_000, 'the sixth waiting');
    skew = 2 * 3600_000;
    const dropped = await eventually(async () => ((await outboxOf(user))[5]?.status === 'failed' ? (await outboxOf(user))[5] : undefined), 15_000, 'the sixth dropped');
    expect(dropped.reason).toMatch(/^dropped after waiting 2 h for the customer to write again \(longer than 60 min, WEREPLY_ALLOWANCE_MAX_WAIT_SECONDS\): 5 messages already sent/);
    skew = 0;
    await s.mock.customerSays({ external_userid: user, text: '再问' });
    await s.mock.waitForSent(6, 15_000, (r) => to(user)(r) && r.errcode === 0);
    expect(s.mock.sent.filter(to(user)).map(text)).toEqual(['六-1', '六-2', '六-3', '六-4', '六-5', '再-1']);
  });

  it('a reply due more than 48 h after the customer last wrote is not sent (WeCom would refuse it): it waits, and past the maximum age it is dropped with the reason', async () => {
    const user = 'wm_window';
    skew = 0;
    const answer = gate();
    // WeCom is busy (-1) for the first try; by the retry the customer's message is 49 h old on WeReply's clock.
    s.mock.injectFault({ path: SEND, errcode: -1, answerAfter: answer.promise, match: (b: any) => b.touser === user });
    await s.mock.customerSays({ external_userid: user, text: '再问' });
    await s.mock.waitForSent(1, 15_000, to(user));
    skew = 49 * 3600_000;
    answer.open();
    const row = await eventually(async () => ((await outboxOf(user))[0]?.status === 'failed' ? (await outboxOf(user))[0] : undefined), 15_000, 'the reply dropped');
    expect(row.reason).toMatch(/dropped after waiting 49 h .*: the customer last wrote 49 h ago: WeCom allows replies only within 48 hours of the customer's last message/);
    expect(s.mock.sent.filter(to(user))).toHaveLength(1);
    skew = 0;
  });
});

describe('the send allowance with two instances on PostgreSQL', () => {
  let s: Stack;
  let second: WeReply | undefined;
  afterAll(async () => {
    await second?.close();
    await s?.close();
  });

  it('many conversations at once, answers late and out of order: every reply goes out once, in order, none charged to the wrong allowance', async () => {
    const CUSTOMERS = 16;
    s = await startStack('postgres', { wereply: { outbox: { pollMs: 20, concurrency: 4 } } });
    second = await createWeReply(loadConfig(weReplyEnv(s.mock, { PORT: '0', WEREPLY_DATA_DIR: s.dataDir, DATABASE_URL: TEST_DATABASE_URL })), {
      logger: pino({ level: 'silent' }),
      pgSchema: s.pgSchema!,
      outbox: { pollMs: 20, concurrency: 4 },
    });
    await second.listen();
    await addRules(s);
    // Every other send answers late, so the instances' outcomes are recorded out of order.
    let n = 0;
    s.mock.injectFault({ path: SEND, delayMs: 15, times: 1_000_000, match: () => n++ % 2 === 0 });
    const users = Array.from({ length: CUSTOMERS }, (_, i) => `wm_two_allow_${i}`);
    await Promise.all(users.map((u) => s.mock.customerSays({ external_userid: u, text: '六连' })));
    await eventually(async () => (await s.api('GET', '/api/outbox?status=waiting_allowance&limit=500')).body.length === CUSTOMERS, 30_000, 'every sixth waiting');
    await Promise.all(users.map((u) => s.mock.customerSays({ external_userid: u, text: '再问' })));
    await s.mock.waitForSent(CUSTOMERS * 7, 30_000, (r) => users.includes(r.touser!) && r.errcode === 0);
    for (const u of users) {
      expect(s.mock.sent.filter((r) => to(u)(r)).map((r) => [r.errcode, text(r)])).toEqual(['六-1', '六-2', '六-3', '六-4', '六-5', '六-6', '再-1'].map((t) => [0, t]));
    }
    const accepted = s.mock.sent.filter((r) => users.includes(r.touser!) && r.errcode === 0);
    expect(new Set(accepted.map((r) => r.msgid)).size).toBe(CUSTOMERS * 7);
    const workers = await s.wr.store.db.selectFrom('outbox_attempts').select('worker').distinct().where('outcome', '=', 'ok').execute();
    expect(workers.length).toBe(2);
  });
});
