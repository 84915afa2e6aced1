/**
 * Explicit moves between the two desks, each with its WeCom call (kf/service_state/trans) and an
 * audit entry, and the WeReply queue's offers:
 * - takeOver: an agent takes the conversation into WeReply's inbox. From the WeCom client (state 3)
 *   or WeCom's pool (2) WeCom cannot go back to 1, so the session is ended (→4): the conversation is
 *   held by the agent and the customer's next message opens a new session, which WeReply keeps with
 *   the API (ingest-message.ts). From 0/1 the session is kept with the API (→1).
 * - handToWeCom: to a servicer in the WeCom client (→3), the one named or the one routing picks.
 * - closeConversation: 结束会话 (→4); the holder's 接待上限 slot frees up.
 * Concurrency: every move first claims the conversation with a conditional update on the holder,
 * desk and state it saw, so of two agents taking over at once exactly one wins; the other gets a
 * conflict. Called by POST /api/conversations/:id/desk and /close (api/desk-routes.ts).
 */
import type { Transaction } from 'kysely';
import type { Store } from '../store/database.js';
import { recordAudit } from '../store/compliance-repo.js';
import { oldestWaitingPerAccount, waitingAtDesk } from '../store/desk-repo.js';
import type { ConversationRow, Database } from '../store/schema.js';
import { enqueue, enqueueReassignments, type HandoffPayload } from './ingest-message.js';
import { replyMsgid } from './outbox-ids.js';
import type { ReplyOptions, Who } from './reply-options.js';
import type { TransferRequest, TransferResult } from './types.js';

export class DeskActionError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface DeskActionProps {
  store: Store;
  /** The channel's transfer (kf/service_state/trans); absent when the channel is not configured. */
  transfer: ((request: TransferRequest) => Promise<TransferResult>) | undefined;
  /** The handoff waiting message (settings), for conversations routed again. */
  waitingMessage: string;
  now?: number;
}

export interface DeskActionResult {
  action: 'take_over' | 'hand_to_wecom' | 'close';
  /** What happened, in one sentence. */
  detail: string;
  /** The session state WeCom now has (as WeReply set it), or null when routing is still to decide. */
  service_state: number | null;
  servicer_userid: string | null;
}

interface Seen {
  servicer_userid: string | null;
  desk: string | null;
  service_state: number | null;
}

function seenOf(c: ConversationRow): Seen {
  return { servicer_userid: c.servicer_userid, desk: c.desk, service_state: c.service_state === null ? null : Number(c.service_state) };
}

/** Claims the conversation if it is still as `seen`: the first of concurrent moves wins, the others change nothing. */
async function claim(trx: Transaction<Database>, id: number, seen: Seen, set: Partial<Omit<ConversationRow, 'id'>>): Promise<boolean> {
  const res = await trx
    .updateTable('conversations')
    .set(set)
    .where('id', '=', id)
    .where((eb) => eb.and([seen.servicer_userid === null ? eb('servicer_userid', 'is', null) : eb('servicer_userid', '=', seen.servicer_userid), seen.desk === null ? eb('desk', 'is', null) : eb('desk', '=', seen.desk), seen.service_state === null ? eb('service_state', 'is', null) : eb('service_state', '=', seen.service_state)]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

const CHANGED = (name: string) => new DeskActionError(409, 'changed', `the conversation changed just now (${name} is not the first to move it): reload and look again`);

function requireTransfer(props: DeskActionProps): (r: TransferRequest) => Promise<TransferResult> {
  if (!props.transfer) throw new DeskActionError(409, 'no_channel', 'WeCom is not configured: sessions cannot be moved');
  return props.transfer;
}

function refusedByChannel(result: TransferResult, what: string): DeskActionError {
  const reason = result.kind === 'sent' ? '' : result.reason;
  const status = result.kind === 'retry' ? 503 : 409;
  return new DeskActionError(status, result.kind === 'retry' ? 'channel_busy' : 'channel_refused', `${what}: ${reason}${result.kind === 'retry' ? ' — try again in a moment' : ''}`);
}

function target(c: ConversationRow, to?: 'api' | 'end', servicer?: string): TransferRequest {
  return { outboxId: 0, accountId: c.open_kfid, customerId: c.external_userid, ...(to ? { to } : {}), ...(servicer ? { servicer } : {}) };
}

/** 接管: the agent (who) takes the conversation into WeReply's inbox. `options`: reply-options for who, now. */
export async function takeOver(props: DeskActionProps, conv: ConversationRow, options: ReplyOptions, who: Who): Promise<DeskActionResult> {
  if (!who.servicerUserid) throw new DeskActionError(409, 'no_servicer_link', `${who.name} is not linked to a 接待人员 (servicer): an admin links operators to servicers in 设置 → 操作员, then they can take conversations over`);
  if (conv.desk === 'wereply' && conv.servicer_userid === who.servicerUserid) throw new DeskActionError(409, 'already_yours', 'you already hold this conversation');
  if (!options.actions.includes('take_over')) throw new DeskActionError(403, 'not_allowed', `you may not take this conversation over: ${options.holder ? `${options.holder.name ?? options.holder.servicer_userid} holds it in WeReply (a supervisor can move it)` : 'not allowed for your role'}`);
  const now = props.now ?? Date.now();
  const id = Number(conv.id);
  const seen = seenOf(conv);
  const me = who.servicerUserid;
  // WeCom's transitions: 2 and 3 can only end (→4); 0 and 1 can stay with the API (→1); 4 needs no call.
  const to: 'api' | 'end' | null = seen.service_state === 2 || seen.service_state === 3 ? 'end' : seen.service_state === 4 ? null : 'api';
  const claimed = await props.store.write((trx) => claim(trx, id, seen, { desk: 'wereply', servicer_userid: me, waiting_since: null, updated_at: now }));
  if (!claimed) throw CHANGED(who.name);
  const undo = () => props.store.write((trx) => claim(trx, id, { ...seen, servicer_userid: me, desk: 'wereply' }, { desk: seen.desk, servicer_userid: seen.servicer_userid, waiting_since: conv.waiting_since, updated_at: now }));
  let result: TransferResult = { kind: 'sent' };
  if (to) {
    try {
      result = await requireTransfer(props)(target(conv, to));
    } catch (err) {
      await undo();
      throw err;
    }
  }
  if (result.kind !== 'sent') {
    await undo();
    throw refusedByChannel(result, 'WeCom refused to move the session');
  }
  const state = to === 'end' ? 4 : to === 'api' ? 1 : 4;
  const detail =
    to === 'end'
      ? `taken over from ${seen.service_state === 3 ? `servicer ${seen.servicer_userid} in the WeCom client` : "WeCom's waiting pool"}: WeCom cannot return a session to the API (state ${seen.service_state} → 1 is not allowed), so the session was ended; the customer must write again, then ${who.name} answers in WeReply`
      : to === 'api'
        ? `taken over into WeReply by ${who.name}; the session stays with the API (state 1)`
        : `taken over by ${who.name}; the session had ended: the customer must write again`;
  await props.store.write(async (trx) => {
    await trx.updateTable('conversations').set({ service_state: state, last_servicer_userid: me, complaint: 0 }).where('id', '=', id).where('servicer_userid', '=', me).execute();
    await trx.insertInto('assignments').values({ conversation_id: id, servicer_userid: me, kind: 'taken_over', reason: detail, trace: null, follow_up: 0, desk: 'wereply', created_at: now }).execute();
    await recordAudit(trx, { action: 'taken_over', subject_type: 'conversation', subject_id: id, actor: who.name, text: null, findings: [], reason: detail }, now);
    // A WeReply agent's slot freed (a supervisor took it from them): the queue gets it.
    if (seen.desk === 'wereply' && seen.servicer_userid) await offerDeskQueue(trx, conv.open_kfid, props.waitingMessage, 'a WeReply agent handed a conversation on', now);
  });
  return { action: 'take_over', detail, service_state: state, servicer_userid: me };
}

/** To the WeCom client: trans →3 with `servicer`, or (none named) routing picks through a handoff outbox row. */
export async function handToWeCom(props: DeskActionProps, conv: ConversationRow, options: ReplyOptions, who: Who, servicer?: string): Promise<DeskActionResult> {
  if (!options.actions.includes('hand_to_wecom')) {
    const st = options.service_state;
    throw new DeskActionError(409, st === 4 ? 'session_ended' : st === 2 || st === 3 ? 'already_in_wecom' : 'not_allowed', st === 4 ? 'the session has ended: WeCom moves no session until the customer writes again' : st === 2 || st === 3 ? 'the session is already with WeCom (pool or a servicer)' : 'you may not hand this conversation on (another agent holds it)');
  }
  const now = props.now ?? Date.now();
  const id = Number(conv.id);
  const seen = seenOf(conv);
  const freed = seen.desk === 'wereply' && seen.servicer_userid !== null;
  if (!servicer) {
    const claimed = await props.store.write(async (trx) => {
      if (!(await claim(trx, id, seen, { desk: 'wecom', servicer_userid: null, waiting_since: null, updated_at: now }))) return false;
      const last = await trx.selectFrom('messages').select(['text', 'msgid']).where('conversation_id', '=', id).where('origin', '=', 3).orderBy('id', 'desc').limit(1).executeTakeFirst();
      const payload: HandoffPayload = { handoff: { reason: 'reassign', detail: `handed to the WeCom client by ${who.name}` }, text: last?.text ?? null, waiting_message: props.waitingMessage, desk: 'wecom' };
      await enqueue(trx, { conversationId: id, api: 'handoff', msgid: replyMsgid(`hand:${id}:${now}`, 0), payload, priority: 0, sourceMsgid: last?.msgid ?? null, ruleId: null, now });
      await trx.insertInto('assignments').values({ conversation_id: id, servicer_userid: null, kind: 'handed', reason: `handed to the WeCom client by ${who.name}: routing picks the servicer`, trace: null, follow_up: 0, desk: 'wecom', created_at: now }).execute();
      await recordAudit(trx, { action: 'handed_to_wecom', subject_type: 'conversation', subject_id: id, actor: who.name, text: null, findings: [], reason: 'routing picks the servicer' }, now);
      if (freed) await offerDeskQueue(trx, conv.open_kfid, props.waitingMessage, 'a WeReply agent handed a conversation to WeCom', now);
      return true;
    });
    if (!claimed) throw CHANGED(who.name);
    return { action: 'hand_to_wecom', detail: 'handed to the WeCom client: routing picks the servicer', service_state: null, servicer_userid: null };
  }
  const known = await props.store.db.selectFrom('servicers').select(['userid', 'status']).where('userid', '=', servicer).executeTakeFirst();
  if (!known) throw new DeskActionError(400, 'unknown_servicer', `servicer ${servicer} is not a known 接待人员 (GET /api/servicers lists them)`);
  if (known.status === 'departed') throw new DeskActionError(409, 'servicer_departed', `servicer ${servicer} has left (离职)`);
  const claimed = await props.store.write((trx) => claim(trx, id, seen, { desk: 'wecom', servicer_userid: servicer, waiting_since: null, updated_at: now }));
  if (!claimed) throw CHANGED(who.name);
  let result: TransferResult;
  try {
    result = await requireTransfer(props)(target(conv, undefined, servicer));
  } catch (err) {
    result = { kind: 'retry', reason: String((err as Error).message) };
  }
  if (result.kind !== 'sent') {
    await props.store.write((trx) => claim(trx, id, { ...seen, desk: 'wecom', servicer_userid: servicer }, { desk: seen.desk, servicer_userid: seen.servicer_userid, waiting_since: conv.waiting_since, updated_at: now }));
    throw refusedByChannel(result, `WeCom did not hand the session to ${servicer}`);
  }
  const detail = `handed to servicer ${servicer} in the WeCom client by ${who.name} (state 3)`;
  await props.store.write(async (trx) => {
    await trx.updateTable('conversations').set({ service_state: 3, last_servicer_userid: servicer }).where('id', '=', id).where('servicer_userid', '=', servicer).execute();
    await trx.insertInto('assignments').values({ conversation_id: id, servicer_userid: servicer, kind: 'handed', reason: detail, trace: null, follow_up: 0, desk: 'wecom', created_at: now }).execute();
    await recordAudit(trx, { action: 'handed_to_wecom', subject_type: 'conversation', subject_id: id, actor: who.name, text: null, findings: [], reason: detail }, now);
    if (freed) await offerDeskQueue(trx, conv.open_kfid, props.waitingMessage, 'a WeReply agent handed a conversation to WeCom', now);
  });
  return { action: 'hand_to_wecom', detail, service_state: 3, servicer_userid: servicer };
}

/** 结束会话: ends the WeCom session (→4) and frees the holder's slot; WeReply's queue gets it. */
export async function closeConversation(props: DeskActionProps, conv: ConversationRow, options: ReplyOptions, who: Who): Promise<DeskActionResult> {
  if (!options.actions.includes('close')) throw new DeskActionError(403, 'not_allowed', options.holder ? `${options.holder.name ?? options.holder.servicer_userid} holds this conversation: they or a supervisor close it` : 'this conversation cannot be closed now (the session has already ended)');
  const now = props.now ?? Date.now();
  const id = Number(conv.id);
  const seen = seenOf(conv);
  if (seen.service_state !== 4) {
    const result = await requireTransfer(props)(target(conv, 'end'));
    if (result.kind !== 'sent') throw refusedByChannel(result, 'WeCom did not end the session');
  }
  const holder = seen.servicer_userid;
  const detail = `closed (结束会话) by ${who.name}${holder ? `; ${holder}'s slot is free` : ''}`;
  const done = await props.store.write(async (trx) => {
    if (!(await claim(trx, id, seen, { service_state: 4, servicer_userid: null, waiting_since: null, complaint: 0, ...(holder ? { last_servicer_userid: holder } : {}), updated_at: now }))) return false;
    await trx.insertInto('assignments').values({ conversation_id: id, servicer_userid: holder, kind: 'ended', reason: detail, trace: null, follow_up: 0, desk: seen.desk, created_at: now }).execute();
    await recordAudit(trx, { action: 'closed', subject_type: 'conversation', subject_id: id, actor: who.name, text: null, findings: [], reason: detail }, now);
    if (seen.desk === 'wereply' && holder) await offerDeskQueue(trx, conv.open_kfid, props.waitingMessage, 'a WeReply conversation was closed', now);
    return true;
  });
  if (!done) throw CHANGED(who.name);
  return { action: 'close', detail, service_state: 4, servicer_userid: null };
}

/**
 * A slot may have freed or an agent came online: the longest-waiting conversation of WeReply's queue
 * (of one kf account, or of each) is routed again. One at a time per account, so arrival order holds;
 * when it gets an agent, the next one is offered (assignConversation).
 */
export async function offerDeskQueue(trx: Transaction<Database>, openKfid: string | null, waitingMessage: string, why: string, now: number): Promise<number> {
  const ids = openKfid === null ? await oldestWaitingPerAccount(trx) : (await waitingAtDesk(trx, openKfid, 1)).map((w) => w.id);
  if (ids.length === 0) return 0;
  return (await enqueueReassignments(trx, ids, `from the WeReply queue: ${why}`, waitingMessage, now)).length;
}
