/**
 * What flows through the pipeline, independent of the channel it came from.
 * Channel adapters (src/channels/*) produce InboundMessage and implement ChannelSender.
 */
import type { Transaction } from 'kysely';
import type { MessageItem } from '../rules/rule.js';
import type { Database } from '../store/schema.js';

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
    /** servicer_status_change: who, and 1 接待中 / 2 停止接待. */
    servicer?: string;
    servicerStatus?: number;
    /** session_status_change: 1 接入 / 2 转接 / 3 结束 / 4 重新接入, and the servicers before and after. */
    changeType?: number;
    oldServicer?: string;
    newServicer?: string;
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
  /** 'send' for an ordinary reply; 'event' for send_msg_on_event with a code (welcome_code or a transfer's msg_code). */
  mode: 'send' | 'event';
  eventCode?: string;
  reply: MessageItem;
}

/** Outcome of one send attempt, classified so the outbox knows what to do next. */
export type SendResult =
  | { kind: 'sent' }
  /** Try again later (busy, rate-limited, network error, timeout: the outcome may be unknown). */
  | { kind: 'retry'; errcode?: number; reason: string }
  /** Will never succeed as is (session ended, quota used up, invalid payload): record and stop. */
  | { kind: 'failed'; errcode?: number; reason: string };

/** 转人工: move the conversation to a person, or to the waiting pool when none is named. */
export interface TransferRequest {
  outboxId: number;
  accountId: string;
  customerId: string;
  /** A servicer to hand to; absent = the waiting pool. */
  servicer?: string;
  /** Told to the customer once the session has moved. */
  message: MessageItem;
}

/** A transfer that succeeded may open a one-time channel for a message (WeCom's msg_code). */
export type TransferResult = SendResult & { followUp?: { code: string; message: MessageItem } };

export interface ChannelSender {
  send(message: OutboundMessage): Promise<SendResult>;
  /** Channels without human handoff leave this out. */
  transfer?(request: TransferRequest): Promise<TransferResult>;
}

/**
 * The outbox worker's fast lane (OutboxWorker.fastLane): whoever enqueues replies in a transaction can
 * claim them for sending in that same transaction, so they go to the channel without another commit.
 * `reserve` slots → `claimIn` inside the transaction → `adopt` once it committed (with [] when it did
 * not; the reservation is freed either way).
 */
export interface OutboxFastLane<R = unknown> {
  reserve(max: number): number;
  claimIn(trx: Transaction<Database>, limit: number, conversationIds: readonly number[]): Promise<R[]>;
  adopt(reserved: number, rows: R[]): void;
}
