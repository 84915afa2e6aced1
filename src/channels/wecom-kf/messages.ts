/**
 * sync_msg items → the pipeline's InboundMessage, and WeReply replies → kf/send_msg bodies.
 */
import type { InboundMessage } from '../../pipeline/types.js';
import type { MessageItem } from '../../rules/rule.js';
import type { KfMessageItem } from './api-client.js';

export const CHANNEL = 'wecom-kf';

export function toInbound(item: KfMessageItem): InboundMessage {
  const msg: InboundMessage = {
    channel: CHANNEL,
    msgid: item.msgid,
    accountId: item.open_kfid ?? '',
    // Account-level events (servicer_status_change) concern no customer.
    customerId: item.external_userid ?? '',
    origin: Number(item.origin),
    msgtype: item.msgtype,
    text: null,
    sentAt: Number(item.send_time) * 1000,
    raw: item,
  };
  if (msg.origin === ORIGIN_SERVICER && msg.customerId) msg.sentBy = { person: item.servicer_userid ?? '', texts: itemTexts(item) };
  if (item.msgtype === 'text') {
    const text = item.text as { content?: string } | undefined;
    // NUL is no character a customer typed, and PostgreSQL text cannot hold it.
    msg.text = (text?.content ?? '').replace(/\u0000/g, '');
  } else if (item.msgtype === 'event') {
    const ev = (item.event ?? {}) as Record<string, unknown>;
    msg.event = {
      type: String(ev.event_type ?? ''),
      ...(ev.welcome_code ? { welcomeCode: String(ev.welcome_code) } : {}),
      ...(ev.scene ? { scene: String(ev.scene) } : {}),
      ...(ev.scene_param ? { sceneParam: String(ev.scene_param) } : {}),
      ...(ev.fail_msgid ? { failMsgid: String(ev.fail_msgid) } : {}),
      ...(ev.fail_type !== undefined ? { failType: Number(ev.fail_type) } : {}),
      ...(ev.servicer_userid ? { servicer: String(ev.servicer_userid) } : {}),
      ...(ev.status !== undefined ? { servicerStatus: Number(ev.status) } : {}),
      ...(ev.change_type !== undefined ? { changeType: Number(ev.change_type) } : {}),
      ...(ev.old_servicer_userid ? { oldServicer: String(ev.old_servicer_userid) } : {}),
      ...(ev.new_servicer_userid ? { newServicer: String(ev.new_servicer_userid) } : {}),
    };
    // Events carry the customer in the event body.
    if (!msg.customerId && ev.external_userid) msg.customerId = String(ev.external_userid);
    if (!msg.accountId && ev.open_kfid) msg.accountId = String(ev.open_kfid);
  }
  return msg;
}

/** sync_msg origin 5: sent by a servicer from the WeCom client (3 customer, 4 system event). */
export const ORIGIN_SERVICER = 5;

/** Opaque codes and structure, not words anyone reads: media ids, a mini program's appid, a menu item's type. */
const NOT_TEXT = /(?:^|_)media_id$|^appid$|^type$/;

/**
 * Every string of a message item's typed object (text.content, link.title/desc/url,
 * miniprogram.title/pagepath, location.name/address, business_card.userid, channels_shop_*…),
 * named by its path ("link.desc"), NUL removed: what the after-the-fact scan reads.
 */
export function itemTexts(item: KfMessageItem): { field: string; text: string }[] {
  const out: { field: string; text: string }[] = [];
  const walk = (v: unknown, at: string, key: string) => {
    if (typeof v === 'string') {
      if (v && !NOT_TEXT.test(key)) out.push({ field: at, text: v.replace(/\u0000/g, '') });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`, key));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${at}.${k}`, k);
  };
  walk(item[item.msgtype], item.msgtype, item.msgtype);
  return out;
}

/** Resolves an uploaded material to a WeCom media_id (uploading or renewing it when needed). */
export type MediaIdFor = (materialId: number, opts?: { renew?: boolean }) => Promise<string>;

/** The msgtype and body fields of one kf message for a reply. */
export async function toKfMessage(reply: MessageItem, mediaIdFor: MediaIdFor, renew = false): Promise<Record<string, unknown>> {
  switch (reply.type) {
    case 'text':
      return { msgtype: 'text', text: { content: reply.text } };
    case 'image':
    case 'video':
    case 'file':
      return { msgtype: reply.type, [reply.type]: { media_id: await mediaIdFor(reply.material_id, { renew }) } };
    case 'link':
      return {
        msgtype: 'link',
        link: { title: reply.title, ...(reply.desc ? { desc: reply.desc } : {}), url: reply.url, thumb_media_id: await mediaIdFor(reply.thumb_material_id, { renew }) },
      };
    case 'miniprogram':
      return {
        msgtype: 'miniprogram',
        miniprogram: { appid: reply.appid, title: reply.title, pagepath: reply.pagepath, thumb_media_id: await mediaIdFor(reply.thumb_material_id, { renew }) },
      };
    case 'menu':
      return {
        msgtype: 'msgmenu',
        msgmenu: {
          ...(reply.head ? { head_content: reply.head } : {}),
          list: reply.items.map((item) => {
            switch (item.type) {
              case 'click':
                return { type: 'click', click: { ...(item.id ? { id: item.id } : {}), content: item.content } };
              case 'view':
                return { type: 'view', view: { url: item.url, content: item.content } };
              case 'miniprogram':
                return { type: 'miniprogram', miniprogram: { appid: item.appid, pagepath: item.pagepath, content: item.content } };
              case 'text':
                return { type: 'text', text: { content: item.content } };
            }
          }),
          ...(reply.tail ? { tail_content: reply.tail } : {}),
        },
      };
  }
}
