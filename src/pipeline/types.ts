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
  /**
   * A message a person of the organisation sent from the channel's own client (WeCom: a servicer,
   * origin 5), past WeReply: who sent it, and every text in it (by field) for the after-the-fact
   * compliance scan. Absent for customers' messages and events.
   */
  sentBy?: { person: string; texts: { field: string; text: string }[] };
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
  /** Not now: the channel allows no more messages until the customer writes again (allowance used up, window closed). */
  | { kind: 'wait'; errcode?: number; reason: string }
  /** Will never succeed as is (session ended, invalid payload): record and stop. */
  | { kind: 'failed'; errcode?: number; reason: string };

/** What the outbox knows about a conversation's allowance, as facts (not a running counter). */
export interface AllowanceFacts {
  now: number;
  /** The send time of the customer's latest message (ms), null when they never wrote. */
  customerWroteAt: number | null;
  /**
   * Replies the channel accepted surely after that message: their call started after WeReply pulled
   * it, or at least `uncertaintyMs` after its send time (a send accepted before a newer customer
   * message belongs to the allowance before it).
   */
  acceptedInAllowance: number;
}

export type AllowanceAnswer = { ok: true } | { ok: false; reason: string };

/** A channel's rule for how many messages may follow a customer's message, and for how long. */
export interface SendAllowance {
  /** How long after a customer message's recorded time a send may still have been accepted before it. */
  uncertaintyMs: number;
  /** May a reply go out now? */
  maySend(facts: AllowanceFacts): AllowanceAnswer;
}

/** Machine-readable reasons an agent's message cannot go out now (the console words them in zh/en). */
export type ReplyReasonCode =
  | 'session_in_pool'
  | 'session_with_servicer'
  | 'session_ended'
  | 'held_by_other_agent'
  | 'customer_must_write'
  | 'window_closed'
  | 'allowance_used_up'
  | 'no_permission'
  | 'no_channel';

export interface ReplyRefusal {
  code: ReplyReasonCode;
  reason: string;
}

/** Where a conversation stands with the channel's allowance, in the numbers the console shows. */
export interface AllowanceStanding {
  messagesLeft: number;
  messagesMax: number;
  /** When the window after the customer's last message closes (ms), null when they never wrote. */
  windowEndsAt: number | null;
  /** Nothing more can go out until the customer writes again. */
  customerMustWrite: boolean;
  /** Why not, when customerMustWrite. */
  refusal: ReplyRefusal | null;
}

/**
 * The channel's answer to "may an agent write in this conversation now?": its session rule (which
 * states accept an API message) and its allowance in numbers. The channel owns these numbers.
 */
export interface ReplyRules {
  allowance: SendAllowance;
  standing(facts: AllowanceFacts): AllowanceStanding;
  /** Null when the session (in the state WeReply knows) accepts messages from the API. `holder`: who holds it, for the reason. */
  sessionRefusal(state: number | null, holder: string | null): ReplyRefusal | null;
}

/** 转人工: move the conversation to a person, or to the waiting pool when none is named. */
export interface TransferRequest {
  outboxId: number;
  accountId: string;
  customerId: string;
  /** A servicer to hand to; absent = the waiting pool. */
  servicer?: string;
  /**
   * Instead of a person or the pool: 'api' keeps the session with the API (WeReply's desk: WeReply's
   * own agents answer through the outbox), 'end' ends the session (结束会话).
   */
  to?: 'api' | 'end';
  /** Told to the customer once the session has moved (with the channel's one-time code, when it returns one). */
  message?: MessageItem;
}

/** A transfer that succeeded may open a one-time channel for a message (WeCom's msg_code). */
export type TransferResult = SendResult & { followUp?: { code: string; message: MessageItem } };

export interface ChannelSender {
  send(message: OutboundMessage): Promise<SendResult>;
  /** Channels that limit replies after a customer message answer "may I send now?" here. */
  allowance?: SendAllowance;
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
