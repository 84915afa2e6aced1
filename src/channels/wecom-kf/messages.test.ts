import { describe, expect, it } from 'vitest';
import { itemTexts, toInbound } from './messages.js';

const base = { msgid: 'm1', open_kfid: 'wk1', external_userid: 'wm1', send_time: 1_700_000_000 };

describe('toInbound: messages servicers sent from the WeCom client (origin 5)', () => {
  it('names the servicer and carries every text for the scan; customers’ messages carry none', () => {
    const m = toInbound({ ...base, origin: 5, servicer_userid: 'zhangsan', msgtype: 'text', text: { content: '您好' } });
    expect(m.sentBy).toEqual({ person: 'zhangsan', texts: [{ field: 'text.content', text: '您好' }] });
    expect(toInbound({ ...base, origin: 3, msgtype: 'text', text: { content: '您好' } }).sentBy).toBeUndefined();
  });

  it('every string field of every type, media ids and appids left out', () => {
    expect(itemTexts({ ...base, origin: 5, msgtype: 'link', link: { title: 'T', desc: 'D', url: 'https://x/?tel=1', thumb_media_id: 'MEDIA' } })).toEqual([
      { field: 'link.title', text: 'T' },
      { field: 'link.desc', text: 'D' },
      { field: 'link.url', text: 'https://x/?tel=1' },
    ]);
    expect(itemTexts({ ...base, origin: 5, msgtype: 'miniprogram', miniprogram: { title: '订单', appid: 'wx1', pagepath: 'p?x=1', thumb_media_id: 'M' } }).map((t) => t.field)).toEqual(['miniprogram.title', 'miniprogram.pagepath']);
    expect(itemTexts({ ...base, origin: 5, msgtype: 'location', location: { latitude: 1, longitude: 2, name: '门店', address: '广州' } }).map((t) => t.field)).toEqual(['location.name', 'location.address']);
    expect(itemTexts({ ...base, origin: 5, msgtype: 'business_card', business_card: { userid: '13812345678' } })).toEqual([{ field: 'business_card.userid', text: '13812345678' }]);
    expect(itemTexts({ ...base, origin: 5, msgtype: 'image', image: { media_id: 'M' } })).toEqual([]);
    expect(itemTexts({ ...base, origin: 5, msgtype: 'msgmenu', msgmenu: { list: [{ type: 'click', click: { content: 'a' } }] } })).toEqual([{ field: 'msgmenu.list[0].click.content', text: 'a' }]);
  });
});
