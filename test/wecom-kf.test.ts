/**
 * The WeCom 微信客服 adapter against the mock: access token sharing and early refresh, has_more
 * paging, and every reply type accepted by kf/send_msg.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeComClient } from '../src/channels/wecom-kf/api-client.js';
import { databaseTokenCache } from '../src/store/token-cache.js';
import { eventually, sleep, startStack, type Stack } from './stack.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000000000500010d0a2db40000000049454e44ae426082', 'hex');
// A minimal MP4: an ftyp box is what file-type (and the mock) recognise.
const MP4 = Buffer.concat([Buffer.from('0000001866747970697336d000000000697336d0000000000000', 'hex').subarray(0, 24), Buffer.from('00000008667265650000000c6d6461740000', 'hex'), Buffer.alloc(64)]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1');

describe('WeCom kf adapter', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack('sqlite', { mock: { accessTokenTtlSeconds: 2 } });
  });
  afterAll(async () => s?.close());

  const gettokens = () => s.mock.requests.filter((r) => r.path === '/cgi-bin/gettoken').length;

  it('shares one access token between clients through the database and renews it before it expires', async () => {
    const make = () =>
      new WeComClient({ apiBase: s.mock.url, corpId: s.mock.credentials.corpId, secret: s.mock.credentials.kfSecret, tokenCache: databaseTokenCache(s.wr.store.db) });
    const a = make();
    const b = make();
    const before = gettokens();
    const t1 = await a.accessToken();
    expect(await b.accessToken()).toBe(t1);
    expect(gettokens()).toBe(before + 1);
    // The token lives 2 s; it is used for 1.6 s, then renewed — WeCom never sees an expired one.
    await sleep(1700);
    await b.syncMsg({ open_kfid: 'wkMockKf0001', limit: 1 });
    expect(gettokens()).toBe(before + 2);
    expect(s.mock.requests.filter((r) => r.errcode === 42001)).toHaveLength(0);
  });

  it('lists servicers and moves a session between states as WeCom allows', async () => {
    const client = new WeComClient({ apiBase: s.mock.url, corpId: s.mock.credentials.corpId, secret: s.mock.credentials.kfSecret, tokenCache: databaseTokenCache(s.wr.store.db) });
    const servicers = (await client.servicerList('wkMockKf0001')).flatMap((x) => ('userid' in x ? [x] : []));
    expect(servicers.map((x) => x.userid)).toEqual(s.mock.credentials.servicers.wkMockKf0001);
    await s.mock.customerSays({ external_userid: 'wm_state', text: '你好', callback: false });
    expect((await client.serviceStateGet('wkMockKf0001', 'wm_state')).service_state).toBe(0);
    const toPool = await client.serviceStateTrans({ open_kfid: 'wkMockKf0001', external_userid: 'wm_state', service_state: 2 });
    expect(toPool.msg_code).toBeTruthy();
    await client.serviceStateTrans({ open_kfid: 'wkMockKf0001', external_userid: 'wm_state', service_state: 3, servicer_userid: servicers[0]!.userid });
    expect(await client.serviceStateGet('wkMockKf0001', 'wm_state')).toMatchObject({ service_state: 3, servicer_userid: servicers[0]!.userid });
    await expect(client.serviceStateTrans({ open_kfid: 'wkMockKf0001', external_userid: 'wm_state', service_state: 1 })).rejects.toThrow(/errcode/);
  });

  it('pulls every page while has_more, storing each message once', async () => {
    for (let i = 0; i < 2300; i++) await s.mock.customerSays({ external_userid: `wm_page_${i % 50}`, text: `第${i}条`, callback: false });
    await s.mock.customerSays({ external_userid: 'wm_page_last', text: '最后一条' });
    await eventually(async () => {
      const rows = await s.wr.store.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('external_userid', 'like', 'wm_page_%').executeTakeFirstOrThrow();
      return Number(rows.n) === 2301;
    }, 20_000, 'all 2301 messages');
    const pages = s.mock.requests.filter((r) => r.path === '/cgi-bin/kf/sync_msg' && r.errcode === 0 && ((r.body as any).limit === 1000));
    expect(pages.length).toBeGreaterThanOrEqual(3);
  });

  it('sends text, image, video, file, link, mini-program and menu replies that WeCom accepts', async () => {
    const upload = async (name: string, bytes: Buffer, kind?: string) => {
      const fd = new FormData();
      if (kind) fd.append('kind', kind);
      fd.append('file', new Blob([bytes]), name);
      const r = await s.api('POST', '/api/materials', fd);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id as number;
    };
    const img = await upload('a.png', PNG);
    const video = await upload('a.mp4', MP4);
    const pdf = await upload('a.pdf', PDF);
    const rule = await s.api('POST', '/api/rules', {
      name: 'all types',
      match: { command: ['全部类型'] },
      reply: [
        { type: 'image', material_id: img },
        { type: 'video', material_id: video },
        { type: 'file', material_id: pdf },
        { type: 'link', title: '标题', desc: '描述', url: 'https://example.com/a', thumb_material_id: img },
        { type: 'miniprogram', appid: 'wx1234567890', title: '小程序', pagepath: 'pages/index', thumb_material_id: img },
      ],
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    await s.api('POST', '/api/rules', { name: 'menu', match: { command: ['菜单'] }, reply: [{ type: 'text', text: '文本' }, { type: 'menu', head: '请选择', items: [{ type: 'click', id: '1', content: '维修' }, { type: 'view', url: 'https://example.com', content: '政策' }, { type: 'miniprogram', appid: 'wx1', pagepath: 'p', content: '小程序' }, { type: 'text', content: '说明' }], tail: '谢谢' }] });
    await s.mock.customerSays({ external_userid: 'wm_types', text: '#全部类型' });
    const first = await s.mock.waitForSent(5, 15_000, (r) => r.touser === 'wm_types');
    await s.mock.customerSays({ external_userid: 'wm_types', text: '#菜单' });
    const all = await s.mock.waitForSent(7, 15_000, (r) => r.touser === 'wm_types');
    expect(first.map((r) => r.errcode)).toEqual([0, 0, 0, 0, 0]);
    expect(all.map((r) => r.body.msgtype)).toEqual(['image', 'video', 'file', 'link', 'miniprogram', 'text', 'msgmenu']);
    expect(all.every((r) => r.errcode === 0)).toBe(true);
    expect(all[6]!.body.msgmenu).toMatchObject({ head_content: '请选择', tail_content: '谢谢', list: [{ type: 'click', click: { id: '1', content: '维修' } }, { type: 'view' }, { type: 'miniprogram' }, { type: 'text' }] });
  });
});
