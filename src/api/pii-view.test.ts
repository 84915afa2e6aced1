/**
 * maskAnswer: every string a role without pii:view may not see is masked, for every message type
 * WeCom sends and every reply type WeReply sends, while identifiers stay usable.
 */
import { describe, expect, it } from 'vitest';
import { findPii } from '../compliance/pii.js';
import { maskAnswer, SHOW_PII } from './pii-view.js';

const P = '13812345678';
const H = '138\u200b1234\u200b5678';

/** Every string in a JSON value, with its key. */
function strings(v: unknown, key = ''): [string, string][] {
  if (typeof v === 'string') return [[key, v]];
  if (Array.isArray(v)) return v.flatMap((x) => strings(x, key));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => strings(x, k));
  return [];
}
const leaks = (v: unknown) => strings(v).filter(([, s]) => findPii(s).length > 0);

/** The objects named after msgtype, as kf/sync_msg gives them, with PII in each text field. */
const INBOUND: Record<string, Record<string, unknown>> = {
  text: { content: `电话${P}` },
  location: { latitude: 39.908823, longitude: 116.39747, name: `王先生家 ${H}`, address: `北京市朝阳区建国路88号院3号楼2单元501 电话${P}` },
  link: { title: `联系${P}`, desc: `邮箱 zhang.san@example.com，电话 ${H}`, url: `https://shop.example.com/u?phone=${P}`, pic_url: `https://img.example.com/${P}.png` },
  business_card: { userid: P },
  miniprogram: { title: `我的订单 ${P}`, appid: 'wx1234567890', pagepath: `pages/order?tel=${P}`, thumb_media_id: 'MEDIA_ID_13812345678' },
  file: { media_id: 'm1', file_name: `身份证_11010519491231002X.jpg` },
  channels_shop_product: { product_id: 'p1', head_image: 'https://x/1.png', title: `收货人电话${P}`, sales_price: '100', shop_nickname: `店主${H}`, shop_head_image: 'https://x/2.png' },
  channels_shop_order: { order_id: '3705115058471208928', product_titles: `送到 上海市浦东新区世纪大道100号5栋1201`, price_wording: '¥100', state: '已完成', image_url: 'https://x', shop_nickname: `卖家 ${P}` },
  event: { event_type: 'enter_session', welcome_code: 'wc1', scene_param: `tel${P}` },
  menu: { head: `请选择 ${P}`, list: [{ type: 'click', click: { id: '1', content: `回拨 ${H}` } }], tail: `客服 ${P}` },
};

/** Replies as WeReply stores them in the outbox (payload.reply). */
const OUTBOUND: Record<string, Record<string, unknown>> = {
  text: { type: 'text', text: `已登记 ${P}` },
  link: { type: 'link', title: `查看 ${P}`, desc: `客服电话 ${H}`, url: `https://x/?m=${P}`, material_id: 3 },
  miniprogram: { type: 'miniprogram', title: `订单 ${P}`, appid: 'wx123', pagepath: 'pages/a', material_id: 4 },
  menu: { type: 'menu', head: `回拨 ${P}`, items: [{ type: 'click', id: '101', content: `打 ${P}` }, { type: 'text', content: `卡号 6222021234567897` }], tail: `邮件 a.b@example.com` },
  handoff: { type: 'handoff', text: `请稍候，专员 ${P} 将联系您`, handoff: { servicer_userid: 'zhangsan' } },
};

describe('maskAnswer, one test per inbound message type', () => {
  it.each(Object.entries(INBOUND))('%s: no PII left in any string, identifiers kept', (msgtype, content) => {
    const item = { kind: 'in', id: 7, msgid: `msg${P}`, external_userid: `wm${P}`, msgtype, text: msgtype === 'text' ? content.content : null, media: content, media_url: '/api/conversations/1/messages/7/media' };
    expect(leaks(item).length).toBeGreaterThan(0);
    const masked = maskAnswer(item);
    // Identifiers stay exactly as they are: the client sends them back.
    expect(masked.msgid).toBe(item.msgid);
    expect(masked.external_userid).toBe(item.external_userid);
    expect(masked.media_url).toBe(item.media_url);
    expect(leaks({ ...masked, msgid: '', external_userid: '', media: { ...masked.media, media_id: '', thumb_media_id: '', product_id: '', order_id: '', appid: '' } })).toEqual([]);
  });

  it('location coordinates are made coarse, names and addresses masked', () => {
    const masked = maskAnswer({ media: INBOUND.location });
    expect(masked.media).toMatchObject({ latitude: 39.91, longitude: 116.4 });
    expect(String(masked.media!.address)).not.toContain('501');
  });

  it('a business card is masked whole (its userid is often a phone number, or a name)', () => {
    expect(maskAnswer({ business_card: { userid: P } }).business_card.userid).toBe('138****5678');
    expect(maskAnswer({ business_card: { userid: 'zhangsan_sales' } }).business_card.userid).not.toContain('zhangsan');
  });
});

describe('maskAnswer, one test per reply type (outbox payloads, rule replies)', () => {
  it.each(Object.entries(OUTBOUND))('%s', (_type, reply) => {
    expect(leaks(reply).length).toBeGreaterThan(0);
    const masked = maskAnswer({ id: 1, status: 'sent', payload: reply, reply: [reply] });
    expect(leaks(masked)).toEqual([]);
    expect(masked.payload.type).toBe(reply.type);
  });
});

describe('maskAnswer, everything else an answer carries', () => {
  it('audit reasons, customer names and nicknames, rule names, error messages', () => {
    const answer = {
      audit: [{ id: 1, actor: 'sup1', reason: `客户要求，电话 ${P}`, text: `打 ${H}`, findings: [{ matched: P }] }],
      customers: [{ external_userid: 'wm1', name: `张三${P}`, nickname: `三 ${H}`, tags: [`vip-${P}`] }],
      rule: { id: 2, name: `回拨 ${P}`, reply: [OUTBOUND.text] },
      error: `not sent: 合规拦截 ${P}`,
    };
    expect(leaks(maskAnswer(answer))).toEqual([]);
  });

  it('who may see PII gets the answer unchanged', () => {
    const a = { media: INBOUND.location };
    expect(maskAnswer(a, SHOW_PII)).toBe(a);
  });
});
