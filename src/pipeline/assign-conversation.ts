/**
 * assignConversation: 转人工 for one conversation. In one transaction, under the assignment lock
 * (so several instances on PostgreSQL take turns), routing chooses the servicer from the load and
 * rotation as committed, the 接待上限 slot is reserved and the rotation pointer advanced; only then
 * is WeCom asked to move the session (kf/service_state/trans), and the assignment recorded with its
 * reason and the routing trace. A servicer WeCom refuses is released and excluded, and the next
 * one chosen the same way; when nobody can take the conversation it goes to WeCom's waiting pool
 * (state 2). Called by the outbox worker for 'handoff' rows, after the conversation's earlier replies.
 *
 * Fairness: because choosing and advancing are one atomic step, concurrent handoffs see each
 * other's picks as if they had come one at a time, so round-robin's guarantee (round-robin.ts)
 * holds under any interleaving — test/routing-fairness.test.ts checks it as a property. A refused
 * servicer's turn is spent (like a skipped one's), never owed.
 */
import type { Transaction } from 'kysely';
import { chooseDesk, type Desk, type DeskChoice } from '../routing/desk.js';
import type { Load, RoutingConfig, RoutingContext, RoutingTree, Servicer, Target } from '../routing/model.js';
import { routeConversation, type RouteDecision, type RouteInput } from '../routing/route.js';
import { evaluateTree } from '../routing/tree.js';
import { normalizeText } from '../rules/normalize.js';
import type { Store } from '../store/database.js';
import { presentServicers, readDesks, waitingAtDesk } from '../store/desk-repo.js';
import { currentRouting, listServicers, lockAssignments, openSessionLoad, reserveSlot, roundRobinStates, saveRoundRobinStates } from '../store/routing-repo.js';
import type { ConversationRow, Database } from '../store/schema.js';
import { enqueue, enqueueReassignments, type HandoffPayload, waitingInPool } from './ingest-message.js';
import { replyMsgid } from './outbox-ids.js';
import type { TransferRequest, TransferResult } from './types.js';

export interface AssignProps {
  store: Store;
  timezone: string;
  /** The channel's transfer (kf/service_state/trans). */
  transfer(request: TransferRequest): Promise<TransferResult>;
  now?: () => number;
  /** WeReply desk: an operator counts as present this long after their last heartbeat (default 90 s). */
  presenceTimeoutMs?: number;
}

export const DEFAULT_PRESENCE_TIMEOUT_MS = 90_000;

/** How the WeReply desk sees servicers: only those linked to a present operator can take a conversation. */
type ServicerView = (servicers: (Servicer & { openKfids: string[] })[]) => Servicer[];
const AS_IS: ServicerView = (list) => list;
function presentOnly(present: ReadonlySet<string>): ServicerView {
  // WeCom's 接待中/停止接待 is about the WeCom client; at WeReply's desk, presence in the console decides.
  return (list) => list.map((sv) => ({ ...sv, receiving: true, away: !present.has(sv.userid) }));
}

export interface Conversation {
  id: number;
  outboxId: number;
  channel: string;
  accountId: string;
  customerId: string;
}

/** WeCom's answer when the servicer cannot take the session (not a 接待人员 there, or not receiving). */
const SERVICER_REFUSED = 95014;
/** Enough tries for any group; each refusal excludes one more servicer. */
const MAX_TRIES = 20;

/** The message names a complaint phrase (投诉…): supervisors first. */
function isComplaint(config: RoutingConfig, text: string): boolean {
  const t = normalizeText(text);
  return config.complaintPhrases.some((w) => t.includes(normalizeText(w)));
}

/** Everything routeConversation needs, read now (in `db`: the locked transaction when assigning); a rule's own route replaces the tree. */
async function routeInput(
  db: Store['db'] | Transaction<Database>,
  config: RoutingConfig,
  ctx: RoutingContext,
  route?: Target,
  refused: string[] = [],
  except?: number,
  view: ServicerView = AS_IS,
): Promise<RouteInput> {
  const tree: RoutingTree = route ? { timezone: config.tree.timezone, nodes: [{ id: 'rule', name: 'rule route', when: {}, then: route }] } : config.tree;
  return {
    tree,
    groups: config.groups,
    servicers: view(await listServicers(db)),
    load: await openSessionLoad(db, except),
    roundRobin: await roundRobinStates(db),
    ctx,
    ...(config.dutyFallback ? { dutyFallback: config.dutyFallback } : {}),
    refused,
  };
}

/** The routing decision for a conversation, without reserving or calling WeCom (the sandbox's trace), and the desk it would be answered at. */
export async function previewRouting(store: Store, timezone: string, ctx: RoutingContext, route?: Target, presenceTimeoutMs = DEFAULT_PRESENCE_TIMEOUT_MS): Promise<RouteDecision & { desk: DeskChoice }> {
  const { config } = await currentRouting(store.db, timezone);
  const desk = chooseDesk(await readDesks(store.db), ctx.kfAccount, route ?? evaluateTree(config.tree, ctx).target);
  const view = desk.desk === 'wereply' ? presentOnly(await presentServicers(store.db, ctx.at, presenceTimeoutMs)) : AS_IS;
  return { ...routeConversation(await routeInput(store.db, config, { ...ctx, complaint: ctx.complaint ?? isComplaint(config, ctx.text) }, route, [], undefined, view)), desk };
}

export async function assignConversation(props: AssignProps, c: Conversation, p: HandoffPayload): Promise<TransferResult & { decision?: RouteDecision }> {
  const { db } = props.store;
  const now = props.now?.() ?? Date.now();
  const { config } = await currentRouting(db, props.timezone);
  const conv = await db.selectFrom('conversations').selectAll().where('id', '=', c.id).executeTakeFirstOrThrow();
  const text = p.text ?? '';
  const complaint = isComplaint(config, text);
  const customer = await customerAttributes(props.store, c.customerId);
  const ctx: RoutingContext = {
    text,
    kfAccount: c.accountId,
    channel: c.channel,
    ...customer,
    at: now,
    complaint,
    ...(conv.last_servicer_userid ? { lastServicer: conv.last_servicer_userid } : {}),
  };
  const message = (extra = '') => ({ type: 'text' as const, text: p.waiting_message + extra });

  // The WeReply desk: a conversation an agent holds stays theirs (the customer wrote again after a
  // take-over, or a repeat after a crash); otherwise the desk that applies decides where people answer.
  if (conv.desk === 'wereply' && conv.servicer_userid && !p.desk) return keepWithAgent(props, c, conv.servicer_userid, now);
  const route = p.handoff.route as Target | undefined;
  const desk: DeskChoice = p.desk ? { desk: p.desk, reason: `handed to ${p.desk === 'wecom' ? 'the WeCom client' : 'the WeReply inbox'} explicitly` } : chooseDesk(await readDesks(db), c.accountId, route ?? evaluateTree(config.tree, ctx).target);
  if (desk.desk === 'wereply') return assignAtDesk(props, { c, p, conv, config, ctx, complaint, now, route, desk });

  const toPoolBehind = async (): Promise<TransferResult> => {
    const result = await props.transfer({ outboxId: c.outboxId, accountId: c.accountId, customerId: c.customerId, message: message() });
    if (result.kind === 'sent') {
      await props.store.write(async (trx) => {
        await trx.updateTable('conversations').set({ service_state: 2, servicer_userid: null, waiting_since: now, complaint: 0, desk: 'wecom' }).where('id', '=', c.id).execute();
        await trx.insertInto('assignments').values({ conversation_id: c.id, servicer_userid: null, kind: 'pool', reason: 'others are already waiting in the pool: joins the queue in arrival order', trace: null, follow_up: 0, desk: 'wecom', created_at: now }).execute();
      });
    }
    return result;
  };

  // A repeat after a crash: the servicer reserved then is asked again first (trans to the same
  // servicer is recognised as done). Not for a reassignment: it exists to move the session away.
  if (conv.servicer_userid && conv.service_state === 3 && p.handoff.reason !== 'reassign') {
    const again = await props.transfer({ outboxId: c.outboxId, accountId: c.accountId, customerId: c.customerId, servicer: conv.servicer_userid, message: message() });
    if (again.kind !== 'failed' || again.errcode !== SERVICER_REFUSED) return again;
    await release(props.store, c.id, conv.servicer_userid, 'WeCom refused the reserved servicer', now);
  }

  // Arrival order: while others wait in this account's pool, a new handoff waits behind them
  // (not: a session being moved off a departed servicer, a complaint for the supervisors, or a
  // rule that names where the conversation goes).
  if (conv.service_state !== 2 && !complaint && p.handoff.reason !== 'reassign' && !p.handoff.route) {
    const [oldest] = await waitingInPool(db, c.accountId, 1);
    if (oldest !== undefined && oldest !== c.id) return toPoolBehind();
  }

  const refused: string[] = [];
  for (let i = 0; i < MAX_TRIES; i++) {
    // Choose and reserve in one step: no other assignment (of this or another instance) reads the
    // load or the rotation between this one's reading and its saving.
    const decision = await chooseAndReserve(props.store, config, ctx, route, refused, c.id, complaint, now);
    if (decision.chosen === null) {
      // Already waiting in the pool: nothing to ask WeCom (2 → 2 is no change); it waits on.
      if (conv.service_state === 2) return { kind: 'sent', decision };
      const result = await props.transfer({ outboxId: c.outboxId, accountId: c.accountId, customerId: c.customerId, message: message(expectedWait(decision, props.timezone)) });
      if (result.kind === 'sent') {
        await props.store.write(async (trx) => {
          await trx.updateTable('conversations').set({ service_state: 2, servicer_userid: null, waiting_since: now, complaint: complaint ? 1 : 0, desk: 'wecom' }).where('id', '=', c.id).execute();
          await record(trx, c.id, null, 'pool', decision, now, 'wecom');
        });
      }
      return { ...result, decision };
    }
    const chosen = decision.chosen;
    // The WeCom call happens outside the lock, with the slot already held and the turn taken.
    const result = await props.transfer({ outboxId: c.outboxId, accountId: c.accountId, customerId: c.customerId, servicer: chosen, message: message() });
    if (result.kind === 'sent') {
      await props.store.write(async (trx) => {
        await trx.updateTable('conversations').set({ last_servicer_userid: chosen, waiting_since: null }).where('id', '=', c.id).execute();
        await record(trx, c.id, chosen, 'assigned', decision, now, 'wecom');
        // Taken from the pool: offer the next waiting conversation the next free slot, if any.
        if (conv.service_state === 2) {
          const next = await waitingInPool(trx, c.accountId, 1);
          if (next.length) await enqueueReassignments(trx, next, 'from the waiting pool: the one before it was assigned', p.waiting_message, now);
        }
      });
      return { ...result, decision };
    }
    if (result.kind === 'failed' && result.errcode === SERVICER_REFUSED) {
      // The refused servicer's turn is spent; the next candidate is chosen from the rotation as it
      // stands now (other assignments may have moved it meanwhile).
      refused.push(chosen);
      await release(props.store, c.id, chosen, result.reason, now);
      continue;
    }
    // Retry later (the reservation stands, see above) or a final failure (released).
    if (result.kind === 'failed') await release(props.store, c.id, chosen, result.reason, now);
    return { ...result, decision };
  }
  return { kind: 'failed', reason: `no servicer could be assigned after ${MAX_TRIES} tries` };
}

/**
 * The atomic step of an assignment: under the assignment lock, read who is free and whose turn it
 * is, decide, and (when someone is chosen) reserve their slot and store the advanced rotation, all
 * in one transaction. The decision is made from committed state only, so it never needs a second
 * look: a cap reached by another assignment is already in the load read here.
 */
async function chooseAndReserve(
  store: Store,
  config: RoutingConfig,
  ctx: RoutingContext,
  route: Target | undefined,
  refused: string[],
  conversationId: number,
  complaint: boolean,
  now: number,
  desk: { desk: Desk; view: ServicerView } = { desk: 'wecom', view: AS_IS },
): Promise<RouteDecision> {
  return store.write(async (trx) => {
    await lockAssignments(trx, now);
    // A conversation routed again does not count against the servicer it leaves.
    const decision = routeConversation(await routeInput(trx, config, ctx, route, refused, conversationId, desk.view));
    if (decision.chosen !== null) {
      await reserveSlot(trx, conversationId, decision.chosen, complaint, now, desk.desk);
      await saveRoundRobinStates(trx, decision.roundRobin, now);
    }
    return decision;
  });
}

/** What routing knows of the customer: tags and timezone. */
export async function customerAttributes(store: Store, externalUserid: string): Promise<{ customerTags: string[]; customerTimezone?: string }> {
  const row = await store.db.selectFrom('customers').select(['tags', 'timezone']).where('external_userid', '=', externalUserid).executeTakeFirst();
  return { customerTags: row ? (JSON.parse(row.tags) as string[]) : [], ...(row?.timezone ? { customerTimezone: row.timezone } : {}) };
}

/**
 * A servicer left (离职): their open sessions are routed again, and the reassignment recorded — in
 * the WeCom client (state 3) and at the WeReply desk (held by their operator, state 0/1: the holder
 * is cleared first, so routing chooses among the agents still here). A WeReply-desk conversation
 * whose session has ended only loses its holder: the customer's next message is routed afresh.
 */
export async function reassignDeparted(store: Store, userids: string[], waitingMessage: string, now = Date.now()): Promise<number> {
  if (userids.length === 0) return 0;
  return store.write(async (trx) => {
    const inWeCom = await trx.selectFrom('conversations').select(['id', 'servicer_userid']).where('service_state', '=', 3).where('servicer_userid', 'in', userids).orderBy('id').execute();
    const atDesk = await trx
      .selectFrom('conversations')
      .select(['id', 'servicer_userid', 'service_state'])
      .where('desk', '=', 'wereply')
      .where((eb) => eb.or([eb('service_state', 'is', null), eb('service_state', '!=', 3)]))
      .where('servicer_userid', 'in', userids)
      .orderBy('id')
      .execute();
    const record = (id: number, servicer: string | null, reason: string) =>
      trx.insertInto('assignments').values({ conversation_id: id, servicer_userid: servicer, kind: 'reassigned', reason, trace: null, follow_up: 0, created_at: now }).execute();
    for (const c of inWeCom) await record(Number(c.id), c.servicer_userid, `servicer ${c.servicer_userid} left (离职): routed again`);
    const reroute = inWeCom.map((c) => Number(c.id));
    for (const c of atDesk) {
      const open = c.service_state === 0 || c.service_state === 1;
      await trx.updateTable('conversations').set({ servicer_userid: null, waiting_since: open ? now : null, updated_at: now }).where('id', '=', Number(c.id)).execute();
      await record(Number(c.id), c.servicer_userid, `WeReply agent ${c.servicer_userid} left (离职): ${open ? 'routed again' : 'released (the session has ended)'}`);
      if (open) reroute.push(Number(c.id));
    }
    const ids = await enqueueReassignments(trx, reroute, `servicer left (离职)`, waitingMessage, now);
    return ids.length;
  });
}

/** Open sessions per servicer now, reservations included. */
export async function currentLoad(store: Store): Promise<Load> {
  return openSessionLoad(store.db);
}

async function release(store: Store, conversationId: number, userid: string, why: string, now: number, desk: Desk = 'wecom'): Promise<void> {
  await store.write(async (trx) => {
    // WeReply desk: WeCom's session never moved to the servicer, so its state is left as WeReply knew it.
    const state = desk === 'wecom' ? { service_state: null } : {};
    await trx.updateTable('conversations').set({ servicer_userid: null, ...state }).where('id', '=', conversationId).where('servicer_userid', '=', userid).execute();
    await trx.insertInto('assignments').values({ conversation_id: conversationId, servicer_userid: userid, kind: 'refused', reason: why, trace: null, follow_up: 0, desk, created_at: now }).execute();
  });
}

async function record(trx: Transaction<Database>, conversationId: number, userid: string | null, kind: 'assigned' | 'pool', d: RouteDecision, now: number, desk: Desk, extra?: Record<string, unknown>): Promise<void> {
  await trx
    .insertInto('assignments')
    .values({ conversation_id: conversationId, servicer_userid: userid, kind, reason: d.reason, trace: JSON.stringify(extra ? { ...d, ...extra } : d), follow_up: d.followUp ? 1 : 0, desk, created_at: now })
    .execute();
}

interface DeskAssignment {
  c: Conversation;
  p: HandoffPayload;
  conv: ConversationRow;
  config: RoutingConfig;
  ctx: RoutingContext;
  complaint: boolean;
  now: number;
  route: Target | undefined;
  desk: DeskChoice;
}

/**
 * 转人工 at WeReply's desk ("API 接待"): the same routing (tree, caps, fairness, shifts, complaints,
 * sticky, the lock and reservation above) among servicers linked to an operator who is present in
 * the console. The WeCom session is kept with the API (trans to state 1 when it is in 0), so the
 * agent's messages go out through the outbox; the holder is `conversations.servicer_userid`, whose
 * 接待上限 slot it takes. Nobody present: it waits in WeReply's own queue (state 1, arrival order),
 * offered again when an agent comes online or a slot frees (desk-actions.ts, offerDeskQueue).
 */
async function assignAtDesk(props: AssignProps, a: DeskAssignment): Promise<TransferResult & { decision?: RouteDecision }> {
  const { c, p, conv, config, ctx, complaint, now } = a;
  const db = props.store.db;
  const waitingAlready = conv.desk === 'wereply' && conv.waiting_since !== null && conv.servicer_userid === null;
  const keep = () => props.transfer({ outboxId: c.outboxId, accountId: c.accountId, customerId: c.customerId, to: 'api' });
  /** The customer is told, as an ordinary message: a session kept with the API returns no msg_code. */
  const tell = (trx: Transaction<Database>, text: string) =>
    enqueue(trx, { conversationId: c.id, api: 'send_msg', msgid: replyMsgid(`desk:${c.outboxId}`, 0), payload: { reply: { type: 'text', text } }, priority: 0, sourceMsgid: null, ruleId: null, now });
  const queue = async (decision: RouteDecision): Promise<TransferResult & { decision?: RouteDecision }> => {
    if (waitingAlready) return { kind: 'sent', decision };
    const result = await keep();
    if (result.kind === 'sent') {
      await props.store.write(async (trx) => {
        await trx.updateTable('conversations').set({ service_state: 1, servicer_userid: null, desk: 'wereply', waiting_since: now, complaint: complaint ? 1 : 0, updated_at: now }).where('id', '=', c.id).execute();
        await record(trx, c.id, null, 'pool', decision, now, 'wereply', { desk: a.desk });
        await tell(trx, p.waiting_message + expectedWait(decision, props.timezone));
      });
    }
    return { ...result, decision };
  };

  // Arrival order in WeReply's queue, as for WeCom's pool.
  if (!waitingAlready && !complaint && p.handoff.reason !== 'reassign' && !a.route) {
    const [oldest] = await waitingAtDesk(db, c.accountId, 1);
    if (oldest && oldest.id !== c.id) {
      const behind: RouteDecision = { ...emptyDecision(), reason: 'others are already waiting for a WeReply agent: joins the queue in arrival order' };
      return queue(behind);
    }
  }
  const view = presentOnly(await presentServicers(db, now, props.presenceTimeoutMs ?? DEFAULT_PRESENCE_TIMEOUT_MS));
  const decision = await chooseAndReserve(props.store, config, ctx, a.route, [], c.id, complaint, now, { desk: 'wereply', view });
  if (decision.chosen === null) {
    // Not reserved: the queue waits without holding anyone's slot.
    return queue(decision);
  }
  const chosen = decision.chosen;
  const result = await keep();
  if (result.kind !== 'sent') {
    await release(props.store, c.id, chosen, result.reason, now, 'wereply');
    return { ...result, decision };
  }
  await props.store.write(async (trx) => {
    await trx.updateTable('conversations').set({ service_state: 1, last_servicer_userid: chosen, waiting_since: null, updated_at: now }).where('id', '=', c.id).execute();
    await record(trx, c.id, chosen, 'assigned', decision, now, 'wereply', { desk: a.desk });
    if (!waitingAlready) await tell(trx, p.waiting_message);
    // Taken from the queue: offer the next one the next free slot, if any.
    if (waitingAlready) {
      const next = await waitingAtDesk(trx, c.accountId, 1);
      if (next.length) await enqueueReassignments(trx, next.map((n) => n.id), 'from the WeReply queue: the one before it was assigned', p.waiting_message, now);
    }
  });
  return { ...result, decision };
}

/** The agent holding the conversation keeps it; the session is kept with (or brought back to) the API. */
async function keepWithAgent(props: AssignProps, c: Conversation, holder: string, now: number): Promise<TransferResult> {
  const result = await props.transfer({ outboxId: c.outboxId, accountId: c.accountId, customerId: c.customerId, to: 'api' });
  if (result.kind === 'sent') {
    await props.store.write(async (trx) => {
      await trx.updateTable('conversations').set({ service_state: 1, updated_at: now }).where('id', '=', c.id).where('servicer_userid', '=', holder).execute();
    });
  }
  return result;
}

function emptyDecision(): RouteDecision {
  return { branch: { path: [], target: null, trace: [] }, candidates: [], chosen: null, chosenBy: null, pool: true, reason: '', fallbackUsed: false, followUp: false, expectedOnDutyAt: null, roundRobin: {} };
}

/** "预计 09:00 后有客服接待" when the target is next on duty at a known time. */
function expectedWait(d: RouteDecision, timezone: string): string {
  if (d.expectedOnDutyAt === null) return '';
  const when = new Intl.DateTimeFormat('zh-CN', { timeZone: timezone, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d.expectedOnDutyAt);
  return `（预计 ${when} 后有客服接待）`;
}
