/**
 * The 会话工作台 (inbox) API the console uses: the conversation list, one conversation's history with
 * the bot's and the agent's replies and their outbox states, PII masked for agents, and the live
 * change stream (SSE).
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaKeeper } from '../src/jobs/media-keeper.js';
import { ENGINES, eventually, startStack, type Stack } from './stack.js';

type Item = { kind: 'in' | 'out'; by: string; text: string | null; status: string | null };

describe.each(ENGINES)('inbox API on %s', (engine) => {
  let s: Stack;
  let agent: string;
  beforeAll(async () => {
    s = await startStack(engine);
    agent = (await s.api('POST', '/api/operators', { name: 'agent1', role: 'agent' })).body.token;
    expect((await s.api('POST', '/api/rules', { name: '退货', match: { any: ['退货'] }, reply: [{ type: 'text', text: '退货请在订单页申请' }] })).status).toBe(201);
  });
  afterAll(async () => s?.close());

  it('lists conversations and shows a history with bot and agent replies; agents see PII masked', async () => {
    await s.mock.customerSays({ external_userid: 'wm_inbox', text: '我要退货，电话13812345678' });
    const conv = await eventually(async () => ((await s.api('GET', '/api/conversations?q=wm_inbox')).body as { id: number; external_userid: string }[])[0]);
    expect(conv.external_userid).toBe('wm_inbox');
    const sent = await s.api('POST', `/api/conversations/${conv.id}/messages`, { text: '好的，已为您登记' }, agent);
    expect(sent.body.status).toBe('queued');
    const history = async (token?: string) => (await s.api('GET', `/api/conversations/${conv.id}/messages`, undefined, token)).body as { pii_masked: boolean; items: Item[] };
    await eventually(async () => (await history()).items.filter((i) => i.kind === 'out' && i.status === 'sent').length === 2, 10_000, 'both replies sent');
    const full = await history();
    expect(full.pii_masked).toBe(false);
    expect(full.items.map((i) => [i.kind, i.by, i.text])).toEqual([
      ['in', 'customer', '我要退货，电话13812345678'],
      ['out', 'bot', '退货请在订单页申请'],
      ['out', 'agent', '好的，已为您登记'],
    ]);
    const masked = await history(agent);
    expect(masked.pii_masked).toBe(true);
    expect(masked.items[0]!.text).toBe('我要退货，电话138****5678');
    const listed = ((await s.api('GET', '/api/conversations', undefined, agent)).body as { id: number; last_message: { text: string } }[]).find((c) => c.id === conv.id)!;
    expect(listed.last_message.text).not.toContain('13812345678');
  });

  it('streams which conversations changed to every open inbox (SSE over fetch, with the Authorization header)', async () => {
    const open = async () => {
      const ctrl = new AbortController();
      const res = await fetch(`${s.url}/api/conversations/events`, { headers: { authorization: `Bearer ${agent}` }, signal: ctrl.signal });
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      const state = { buffer: '', ctrl };
      const changed = (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return null;
          state.buffer += new TextDecoder().decode(value);
          const m = /event: change\ndata: (.*)\n/.exec(state.buffer);
          if (m) return JSON.parse(m[1]!) as { conversation_ids: number[] };
        }
      })();
      return { state, changed };
    };
    const inboxes = [await open(), await open()];
    await eventually(() => inboxes.every((i) => i.state.buffer.includes('event: ready')));
    await s.mock.customerSays({ external_userid: 'wm_live', text: '在吗' });
    const events = await Promise.all(inboxes.map((i) => i.changed));
    for (const i of inboxes) i.state.ctrl.abort();
    const id = Number((await s.wr.store.db.selectFrom('conversations').select('id').where('external_userid', '=', 'wm_live').executeTakeFirstOrThrow()).id);
    for (const e of events) expect(e!.conversation_ids).toContain(id);
  });

  it('shows the photos and files customers send, and keeps them after WeCom deletes them (3 days)', async () => {
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const says = (msgtype: string, media_id: string) => s.mock.customerSays({ external_userid: 'wm_photo', msgtype, content: { media_id } });
    await says('image', s.mock.customerMedia('image', png, 'broken.png'));
    await says('file', s.mock.customerMedia('file', pdf, '发票.pdf'));
    await says('image', s.mock.customerMedia('image', png)); // nobody opens this one
    await says('image', 'deleted-on-wecom-already'); // e.g. WeReply was down for days
    const id = await eventually(async () => Number((await s.wr.store.db.selectFrom('conversations').select('id').where('external_userid', '=', 'wm_photo').executeTakeFirst())?.id ?? 0));
    const items = await eventually(async () => {
      const got = ((await s.api('GET', `/api/conversations/${id}/messages`, undefined, agent)).body as { items: (Item & { media_url: string | null })[] }).items.filter((i) => i.kind === 'in');
      return got.length === 4 ? got : undefined;
    });
    const [photo, file, unopened, deleted] = items.map((i) => i.media_url!);
    expect(photo).toMatch(new RegExp(`^/api/conversations/${id}/messages/\\d+/media$`));
    const get = (url: string) => fetch(s.url + url, { headers: { authorization: `Bearer ${agent}` } });
    const shown = await get(photo!);
    expect(shown.status).toBe(200);
    expect(shown.headers.get('content-type')).toBe('image/png');
    expect(shown.headers.get('content-disposition')).toMatch(/^inline/);
    expect(Buffer.from(await shown.arrayBuffer()).equals(png)).toBe(true);
    const doc = await get(file!);
    expect(doc.headers.get('content-type')).toBe('application/pdf');
    expect(doc.headers.get('content-disposition')).toMatch(/^attachment; filename="file-\d+\.pdf"/);

    // The keeper fetches what nobody opened (the two opened ones are already kept).
    const keeper = new MediaKeeper(s.wr.store, s.wr.wecom!, s.wr.inboundMedia, pino({ level: 'silent' }));
    expect(await keeper.sweep()).toBe(1);
    expect(await keeper.sweep()).toBe(0);

    s.mock.advanceClock(4 * 86400_000); // WeCom's copies are gone now
    for (const url of [photo!, unopened!]) {
      const res = await get(url);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
    }
    const gone = await get(deleted!);
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as { error: string }).error).toContain('3 days');
    expect((await get(`/api/conversations/${id}/messages/999999/media`)).status).toBe(404);
  });

  it('answers 404 for a conversation that does not exist and 401 without a token', async () => {
    expect((await s.api('GET', '/api/conversations/999999/messages')).status).toBe(404);
    expect((await fetch(`${s.url}/api/conversations`)).status).toBe(401);
  });
});
