/**
 * ingestMessages: store pulled messages once and, in the same transaction, the decision and the
 * outbox rows it produces (transactional outbox). A crash can never leave a stored message without
 * its replies, nor a reply without its message; a message seen twice (callback retry, repeated
 * pull, lost cursor) is recognised by its msgid and changes nothing.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Decision, HandoffDecision, RuleSet } from '../rules/decide.js';
import { maskPii } from '../compliance/pii.js';
import type { MessageFindings } from '../compliance/servicer-scan.js';
import { insertAlert } from '../store/alerts-repo.js';
import { recordAudit } from '../store/compliance-repo.js';
import { recordRegexCutoffs } from '../store/regex-stats-repo.js';
import type { ConversationRow, Database } from '../store/schema.js';
import { replyMsgid, welcomeMsgid } from './outbox-ids.js';
import type { MessageItem } from '../rules/rule.js';
import type { InboundMessage } from './types.js';

/** WeCom's welcome_code is valid for 20 s after enter_session. */
export const WELCOME_CODE_TTL_MS = 20_000;

export interface IngestProps {
  /** The compiled rules to decide with. */
  rules: RuleSet;
  /** Messages older than this (ms) are stored but not answered. */
  staleAfterMs: number;
  /** Current time (ms). */
  now: number;
  /**
   * The after-the-fact compliance scan of messages people sent from the channel's own client
   * (m.sentBy), with the organisation's current words and settings; absent = not scanned.
   */
  scanSent?: (texts: readonly { field: string; text: string }[]) => MessageFindings | null;
  /** One line describing findings, for the audit entry. */
  describeSent?: (f: MessageFindings) => string;
}

export interface IngestResult {
  msgid: string;
  /** False when the message was already stored (a duplicate). */
  stored: boolean;
  conversationId: number;
  decision: Decision | null;
  outboxIds: number[];
  /** A message sent past WeReply (m.sentBy): who sent it, and the alert its scan raised (committed with it). */
  sent?: { person: string; alert: { id: number; severity: 'block' | 'pii' } | null };
}

export async function ingestMessages(trx: Transaction<Database>, messages: InboundMessage[], props: IngestProps): Promise<IngestResult[]> {
  const results: IngestResult[] = [];
  const hits = new Map<number, number>();
  for (const m of messages) {
    const r = await ingestOne(trx, m, props);
    for (const matched of r.decision?.matched ?? []) hits.set(matched.rule_id, (hits.get(matched.rule_id) ?? 0) + 1);
    results.push(r);
  }
  // Hit counts once per batch, not once per message.
  for (const [ruleId, n] of hits) {
    await trx.updateTable('rules').set((eb) => ({ hit_count: eb('hit_count', '+', n) })).where('id', '=', ruleId).execute();
  }
  return results;
}

async function ingestOne(trx: Transaction<Database>, m: InboundMessage, props: IngestProps): Promise<IngestResult> {
  if (m.event?.type === 'msg_send_fail' && m.event.failMsgid) {
    // WeCom accepted the call but could not deliver the message: the reply ends failed, visibly.
    await trx
      .updateTable('outbox')
      .set({ status: 'failed', reason: `WeCom reported the message undelivered (msg_send_fail, fail_type ${m.event.failType ?? '?'})` })
      .where('msgid', '=', m.event.failMsgid)
      .execute();
  }
  if (m.event?.type === 'servicer_status_change' && m.event.servicer) {
    // 接待中 / 停止接待 as the servicer set it in WeCom: routing skips a servicer who paused.
    const receiving = m.event.servicerStatus !== 2;
    await trx.updateTable('servicers').set({ receiving: receiving ? 1 : 0, updated_at: props.now }).where('userid', '=', m.event.servicer).execute();
    if (receiving) await offerPool(trx, m.accountId, `${m.event.servicer} is receiving again`, props);
  }
  if (!m.customerId) {
    // An account-level event: stored (once) for the record, outside any conversation.
    const stored = await sql<{ id: number }>`
      INSERT INTO messages (msgid, conversation_id, open_kfid, external_userid, origin, msgtype, text, raw, decision, send_time, received_at)
      VALUES (${m.msgid}, 0, ${m.accountId}, '', ${m.origin}, ${m.msgtype}, NULL, ${JSON.stringify(m.raw)}, NULL, ${m.sentAt}, ${props.now})
      ON CONFLICT (msgid) DO NOTHING RETURNING id`.execute(trx);
    return { msgid: m.msgid, stored: stored.rows.length > 0, conversationId: 0, decision: null, outboxIds: [] };
  }
  const conversation = await conversationFor(trx, m, props.now);
  const conversationId = Number(conversation.id);
  if (m.event?.type === 'session_status_change') {
    await applySessionChange(trx, conversationId, m.event, props.now);
    if (m.event.changeType === 3) await offerPool(trx, m.accountId, 'a session ended', props);
  }
  const stale = props.now - m.sentAt > props.staleAfterMs;
  const fromCustomer = m.origin === 3;
  const welcomeCode = m.event?.type === 'enter_session' ? m.event.welcomeCode : undefined;
  const testAccount = fromCustomer || welcomeCode ? await isTestAccount(trx, m.customerId, props.now) : false;

  // Decide first (pure), so the message row is written once, with its decision.
  let decision: Decision | null = null;
  const person = fromCustomer ? heldByPerson(conversation, props.now) : null;
  if (fromCustomer && !stale && !person) {
    decision = props.rules.decide({
      text: m.text,
      testAccount,
      at: m.sentAt,
      lastAnyReplyAt: conversation.last_any_reply_at === null ? null : Number(conversation.last_any_reply_at),
      unmatchedStreak: Number(conversation.unmatched_streak),
    });
  } else if (welcomeCode && props.now - m.sentAt < WELCOME_CODE_TTL_MS) {
    decision = props.rules.decideWelcome({ testAccount, at: m.sentAt });
  }
  const recorded =
    stale && fromCustomer
      ? { stale: true, reason: `sent ${Math.round((props.now - m.sentAt) / 1000)}s before it was pulled; not answered` }
      : person
        ? { person, reason: `a person handles this conversation (${person}); the bot does not answer` }
        : decision;

  // A person's message sent past WeReply (a servicer in the WeCom client): never a cause for rules,
  // replies or the allowance; scanned here, in this transaction, so its findings and alert are
  // committed with it or not at all. Customers' messages do not pay for it.
  const findings = m.sentBy && props.scanSent ? props.scanSent(m.sentBy.texts) : null;

  // The statements run for every message use the sql tag: a third of the query builder's cost.
  const inserted = m.sentBy
    ? await sql<{ id: number }>`
    INSERT INTO messages (msgid, conversation_id, open_kfid, external_userid, origin, msgtype, text, raw, decision, send_time, received_at, servicer_userid, findings)
    VALUES (${m.msgid}, ${conversationId}, ${m.accountId}, ${m.customerId}, ${m.origin}, ${m.msgtype}, ${m.text}, ${JSON.stringify(m.raw)},
            NULL, ${m.sentAt}, ${props.now}, ${m.sentBy.person || null}, ${findings ? JSON.stringify(findings) : null})
    ON CONFLICT (msgid) DO NOTHING RETURNING id`.execute(trx)
    : await sql<{ id: number }>`
    INSERT INTO messages (msgid, conversation_id, open_kfid, external_userid, origin, msgtype, text, raw, decision, send_time, received_at)
    VALUES (${m.msgid}, ${conversationId}, ${m.accountId}, ${m.customerId}, ${m.origin}, ${m.msgtype}, ${m.text}, ${JSON.stringify(m.raw)},
            ${recorded ? JSON.stringify(recorded) : null}, ${m.sentAt}, ${props.now})
    ON CONFLICT (msgid) DO NOTHING RETURNING id`.execute(trx);
  if (inserted.rows.length === 0) return { msgid: m.msgid, stored: false, conversationId, decision: null, outboxIds: [] };
  if (m.sentBy) {
    const messageId = Number(inserted.rows[0]!.id);
    await heldBy(trx, conversation, m.sentBy.person, props.now);
    const alert = findings?.alert ? await raiseAlert(trx, { conversationId, messageId, person: m.sentBy.person, texts: m.sentBy.texts, findings, severity: findings.alert }, props) : null;
    return { msgid: m.msgid, stored: true, conversationId, decision: null, outboxIds: [], sent: { person: m.sentBy.person, alert } };
  }
  // A regex rule cut off on this message is counted with it (shown in the rules list), never skipped silently.
  if (decision?.skipped.some((x) => x.reason === 'regex_timeout' || x.reason === 'regex_budget')) await recordRegexCutoffs(trx, decision.skipped, props.now);

  const outboxIds: number[] = [];
  if (fromCustomer) {
    // The customer wrote: the channel's allowance starts again from this message's send time (the
    // newest one wins, whatever order they are pulled in); replies waiting for it become due.
    // The count of unanswered messages starts again after a match or a handoff.
    const streak = decision ? (decision.unmatched && !decision.handoff ? Number(conversation.unmatched_streak) + 1 : 0) : Number(conversation.unmatched_streak);
    const lastAny = decision?.anyMessageReplied ? m.sentAt : conversation.last_any_reply_at;
    await sql`
      UPDATE conversations SET last_customer_msg_at = ${Math.max(m.sentAt, Number(conversation.last_customer_msg_at ?? 0))},
        updated_at = ${props.now}, unmatched_streak = ${streak}, last_any_reply_at = ${lastAny}
      WHERE id = ${conversationId}`.execute(trx);
    let index = 0;
    const lastWrote = conversation.last_customer_msg_at === null ? null : Number(conversation.last_customer_msg_at);
    const sessionOver = Number(conversation.service_state) === 4 || (lastWrote !== null && m.sentAt - lastWrote > 48 * 3600_000);
    if (conversation.desk === 'wereply' && conversation.servicer_userid && sessionOver) {
      // Taken over from the WeCom client (which ended the session), or WeCom ended it after 48 h: the
      // customer's message opened a new one (state 0); it is kept with the API (state 1) for the agent
      // holding the conversation.
      await sql`UPDATE conversations SET service_state = 0 WHERE id = ${conversationId}`.execute(trx);
      const payload: HandoffPayload = { handoff: { reason: 'reassign', detail: `the customer wrote again: the session stays with WeReply agent ${conversation.servicer_userid}` }, text: m.text, waiting_message: props.rules.handoff.waiting_message };
      outboxIds.push(await enqueue(trx, { conversationId, api: 'handoff', msgid: replyMsgid(m.msgid, 99), payload, priority: 0, sourceMsgid: m.msgid, ruleId: null, now: props.now }));
    }
    for (const { rule_id, reply } of decision?.replies ?? []) {
      outboxIds.push(await enqueue(trx, { conversationId, api: 'send_msg', msgid: replyMsgid(m.msgid, index++), payload: { reply }, priority: 0, sourceMsgid: m.msgid, ruleId: rule_id, now: props.now }));
    }
    if (decision?.handoff) {
      // After the replies: once a person has the session, the bot may no longer send (95018).
      const payload: HandoffPayload = { handoff: decision.handoff, text: m.text, waiting_message: props.rules.handoff.waiting_message };
      outboxIds.push(await enqueue(trx, { conversationId, api: 'handoff', msgid: replyMsgid(m.msgid, index++), payload, priority: 0, sourceMsgid: m.msgid, ruleId: decision.handoff.rule_id ?? null, now: props.now }));
    }
  } else if (welcomeCode && decision?.replies[0]) {
    const first = decision.replies[0];
    // Welcome first: the code expires 20 s after the customer opened the chat.
    // caused_at = when the customer opened the chat: the code's 20 s count from then.
    outboxIds.push(await enqueue(trx, { conversationId, api: 'send_msg_on_event', msgid: welcomeMsgid(welcomeCode), payload: { reply: first.reply, code: welcomeCode, code_kind: 'welcome' } satisfies EventPayload, priority: 10, sourceMsgid: m.msgid, ruleId: first.rule_id, now: props.now, causedAt: m.sentAt }));
  }
  return { msgid: m.msgid, stored: true, conversationId, decision, outboxIds };
}

/**
 * A servicer wrote from the WeCom client, so WeCom has the session with them (人工接待), whatever
 * WeReply last saw (a session ended and re-opened by the servicer, a missed session_status_change):
 * the bot stays quiet from now on, as for any session a person holds. The conversation is then on
 * the WeCom-client desk, even if a WeReply agent had taken it over: WeCom gave it to the servicer.
 */
async function heldBy(trx: Transaction<Database>, c: ConversationRow, person: string, now: number): Promise<void> {
  if (!person || (Number(c.service_state) === 3 && c.servicer_userid === person && c.desk !== 'wereply')) return;
  await trx.updateTable('conversations').set({ service_state: 3, servicer_userid: person, last_servicer_userid: person, waiting_since: null, desk: 'wecom', updated_at: now }).where('id', '=', Number(c.id)).execute();
  await trx
    .insertInto('assignments')
    .values({ conversation_id: Number(c.id), servicer_userid: person, kind: 'wecom', desk: 'wecom', reason: 'the servicer wrote to the customer from the WeCom client', trace: null, follow_up: 0, created_at: now })
    .execute();
}

/** An alert for a message that broke the rules after it was sent: its row, its notification job and the audit entry. */
async function raiseAlert(
  trx: Transaction<Database>,
  a: { conversationId: number; messageId: number; person: string; texts: readonly { field: string; text: string }[]; findings: MessageFindings; severity: 'block' | 'pii' },
  props: IngestProps,
): Promise<{ id: number; severity: 'block' | 'pii' } | null> {
  const text = a.texts.map((t) => (a.texts.length > 1 ? `${t.field}: ${t.text}` : t.text)).join('\n');
  const id = await insertAlert(trx, { kind: 'servicer_message', severity: a.severity, conversationId: a.conversationId, messageId: a.messageId, servicerUserid: a.person || null, findings: a.findings, text: text ? maskPii(text) : null }, props.now);
  if (id === null) return null;
  await recordAudit(
    trx,
    { action: 'alerted', subject_type: 'servicer_message', subject_id: a.messageId, actor: a.person ? `servicer ${a.person}` : 'servicer', text, findings: [...a.findings.risk, ...a.findings.pii], reason: props.describeSent?.(a.findings) ?? null },
    props.now,
  );
  return { id, severity: a.severity };
}

/**
 * A slot may have freed up: the longest-waiting conversation of the pool is routed again. One at a
 * time, so arrival order holds; when it gets a servicer, the next one is offered (assignConversation).
 */
async function offerPool(trx: Transaction<Database>, openKfid: string, why: string, props: IngestProps): Promise<void> {
  const waiting = await waitingInPool(trx, openKfid, 1);
  if (waiting.length) await enqueueReassignments(trx, waiting, `from the waiting pool: ${why}`, props.rules.handoff.waiting_message, props.now);
}

/**
 * Who holds the conversation when a person does: a WeReply agent (desk 'wereply', until the
 * conversation is closed or handed on) or WeReply's queue for one, or WeCom's pool (state 2) or a
 * servicer (state 3) within the session's 48 h. Keyword auto-replies stay silent meanwhile.
 */
export function heldByPerson(c: ConversationRow, now: number): string | null {
  if (c.desk === 'wereply' && c.servicer_userid) return `WeReply agent ${c.servicer_userid} (WeReply desk)`;
  if (c.desk === 'wereply' && c.waiting_since !== null && now - Number(c.waiting_since) <= 48 * 3600_000) return "WeReply's queue for an agent (WeReply desk)";
  const state = c.service_state === null ? null : Number(c.service_state);
  if ((state !== 2 && state !== 3) || now - Number(c.updated_at) > 48 * 3600_000) return null;
  return state === 3 ? `servicer ${c.servicer_userid}` : 'the waiting pool';
}

/** session_status_change: a servicer took the session from the pool, passed it on, ended it or took it up again. */
async function applySessionChange(trx: Transaction<Database>, conversationId: number, e: NonNullable<InboundMessage['event']>, now: number): Promise<void> {
  if (e.changeType === 3) {
    // Held by a WeReply agent (taken over from the WeCom client): the session ended, the agent keeps
    // the conversation and answers once the customer writes again.
    const keptByAgent = await trx.updateTable('conversations').set({ service_state: 4, updated_at: now }).where('id', '=', conversationId).where('desk', '=', 'wereply').where('servicer_userid', 'is not', null).executeTakeFirst();
    if (Number(keptByAgent.numUpdatedRows) > 0) return;
    await trx
      .updateTable('conversations')
      .set({ service_state: 4, servicer_userid: null, waiting_since: null, complaint: 0, ...(e.oldServicer ? { last_servicer_userid: e.oldServicer } : {}), updated_at: now })
      .where('id', '=', conversationId)
      .execute();
  } else if (e.newServicer) {
    await trx
      .updateTable('conversations')
      .set({ service_state: 3, servicer_userid: e.newServicer, last_servicer_userid: e.newServicer, waiting_since: null, updated_at: now })
      .where('id', '=', conversationId)
      .execute();
  } else return;
  await trx
    .insertInto('assignments')
    .values({ conversation_id: conversationId, servicer_userid: e.newServicer ?? e.oldServicer ?? null, kind: e.changeType === 3 ? 'ended' : 'wecom', reason: `session_status_change ${e.changeType} in WeCom`, trace: null, follow_up: 0, created_at: now })
    .execute();
}

async function conversationFor(trx: Transaction<Database>, m: InboundMessage, now: number): Promise<ConversationRow> {
  const find = async () =>
    (
      await sql<ConversationRow>`
        SELECT * FROM conversations WHERE channel = ${m.channel} AND open_kfid = ${m.accountId} AND external_userid = ${m.customerId}`.execute(trx)
    ).rows[0];
  const existing = await find();
  if (existing) return existing;
  await trx
    .insertInto('conversations')
    .values({ channel: m.channel, open_kfid: m.accountId, external_userid: m.customerId, last_customer_msg_at: null, sent_since_customer_msg: 0, last_any_reply_at: null, unmatched_streak: 0, created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['channel', 'open_kfid', 'external_userid']).doNothing())
    .execute();
  const created = await find();
  if (!created) throw new Error(`conversation for ${m.customerId} could not be created`);
  return created;
}

/** Registers the customer on first sight; answers whether they are a 测试账号. */
async function isTestAccount(trx: Transaction<Database>, externalUserid: string, now: number): Promise<boolean> {
  const row = (await sql<{ test_account: number }>`SELECT test_account FROM customers WHERE external_userid = ${externalUserid}`.execute(trx)).rows[0];
  if (row) return !!row.test_account;
  await trx
    .insertInto('customers')
    .values({ external_userid: externalUserid, test_account: 0, name: null, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('external_userid').doNothing())
    .execute();
  return false;
}

/** What an outbox send_msg_on_event row carries: the message and the code that allows it. */
export interface EventPayload {
  reply: MessageItem;
  code: string;
  /** welcome: valid 20 s from enter_session; msg_code: from a transfer, valid much longer. */
  code_kind: 'welcome' | 'msg_code';
}

/** What an outbox 'handoff' row carries. */
export interface HandoffPayload {
  handoff: HandoffDecision;
  /** The customer's message that caused it (routing looks at its words). */
  text: string | null;
  waiting_message: string;
  /** Hand to this desk whatever the configuration says (an explicit hand_to_wecom). */
  desk?: 'wecom' | 'wereply';
}

export interface EnqueueProps {
  conversationId: number;
  /** send_msg: a message; send_msg_on_event: a welcome or a message with a msg_code; handoff: 转人工. */
  api: 'send_msg' | 'send_msg_on_event' | 'handoff';
  msgid: string;
  payload: unknown;
  priority: number;
  sourceMsgid: string | null;
  ruleId: number | null;
  now: number;
  /** When the cause happened (ms), if not now: the reply latency and the welcome code's validity count from it. */
  causedAt?: number;
}

/**
 * Hands conversations to routing again, oldest first: those waiting in the pool when a slot frees
 * up, or the open sessions of a servicer who left (离职). A conversation that already has a
 * handoff waiting is left as it is.
 */
export async function enqueueReassignments(trx: Transaction<Database>, conversationIds: number[], why: string, waitingMessage: string, now: number): Promise<number[]> {
  const ids: number[] = [];
  for (const conversationId of conversationIds) {
    const pending = await trx.selectFrom('outbox').select('id').where('conversation_id', '=', conversationId).where('api', '=', 'handoff').where('status', 'in', ['pending', 'retry', 'sending']).executeTakeFirst();
    if (pending) continue;
    const last = await trx.selectFrom('messages').select(['text', 'msgid']).where('conversation_id', '=', conversationId).where('origin', '=', 3).orderBy('id', 'desc').limit(1).executeTakeFirst();
    const payload: HandoffPayload = { handoff: { reason: 'reassign', detail: why }, text: last?.text ?? null, waiting_message: waitingMessage };
    ids.push(await enqueue(trx, { conversationId, api: 'handoff', msgid: replyMsgid(`reassign:${conversationId}:${now}`, 0), payload, priority: 0, sourceMsgid: last?.msgid ?? null, ruleId: null, now }));
  }
  return ids;
}

/** The conversations waiting in a kf account's pool, in arrival order. */
export async function waitingInPool(trx: Kysely<Database> | Transaction<Database>, openKfid: string, limit: number): Promise<number[]> {
  const rows = await trx.selectFrom('conversations').select('id').where('open_kfid', '=', openKfid).where('service_state', '=', 2).orderBy('waiting_since').limit(limit).execute();
  return rows.map((r) => Number(r.id));
}

/** enqueueReply: one outbox row, sent by the outbox worker in conversation order. */
export async function enqueue(trx: Transaction<Database>, p: EnqueueProps): Promise<number> {
  const row = (
    await sql<{ id: number }>`
      INSERT INTO outbox (conversation_id, api, msgid, payload, status, priority, attempts, next_attempt_at, locked_by, locked_until,
                          last_errcode, reason, source_msgid, rule_id, caused_at, created_at, sent_at)
      VALUES (${p.conversationId}, ${p.api}, ${p.msgid}, ${JSON.stringify(p.payload)}, 'pending', ${p.priority}, 0, ${p.now}, NULL, NULL,
              NULL, NULL, ${p.sourceMsgid}, ${p.ruleId}, ${p.causedAt ?? p.now}, ${p.now}, NULL)
      RETURNING id`.execute(trx)
  ).rows[0]!;
  return Number(row.id);
}
