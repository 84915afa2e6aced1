/**
 * What flows through the pipeline, independent of the channel it came from.
 * Channel adapters (src/channels/*) produce InboundMessage and implement ChannelSender.
 */
import type { ReplyItem } from '../rules/rule.js';

export interface InboundMessage {
  channel: string;
  /** The channel's own message id (dedupe key). */
  msgid: string;
  /** The account the customer wrote to (微信客服 open_kfid). */
  accountId: string;
  /** The customer (external_userid). */
  customerId: string;
  /** 3 customer, 4 system event, 5 servicer (WeCom's origin values). */
  origin: number;
  msgtype: string;
  /** Text a rule can match: a text message, or a clicked menu item's text. */
  text: string | null;
  /** Event details for msgtype 'event'. */
  event?: {
    type: string;
    welcomeCode?: string;
    scene?: string;
    sceneParam?: string;
    /** msg_send_fail: the msgid of our message WeCom could not deliver, and why (WeCom's fail_type). */
    failMsgid?: string;
    failType?: number;
  };
  /** When the customer sent it (ms). */
  sentAt: number;
  /** The original item, stored as-is. */
  raw: unknown;
}

/** A reply waiting in the outbox, as the outbox worker hands it to a channel. */
export interface OutboundMessage {
  outboxId: number;
  channel: string;
  accountId: string;
  customerId: string;
  /** Stable idempotency key / WeCom msgid, the same on every retry. */
  msgid: string;
  /** 'send' for an ordinary reply, 'welcome' for send_msg_on_event with a welcome code. */
  mode: 'send' | 'welcome';
  welcomeCode?: string;
  reply: ReplyItem;
}

/** Outcome of one send attempt, classified so the outbox knows what to do next. */
export type SendResult =
  | { kind: 'sent' }
  /** Try again later (busy, rate-limited, network error, timeout: the outcome may be unknown). */
  | { kind: 'retry'; errcode?: number; reason: string }
  /** Will never succeed as is (session ended, quota used up, invalid payload): record and stop. */
  | { kind: 'failed'; errcode?: number; reason: string };

export interface ChannelSender {
  send(message: OutboundMessage): Promise<SendResult>;
}
