/**
 * replyOptions: what an agent can do in one conversation now — which desk it is in, who holds it,
 * whether a message can go out (and if not, why, with a machine-readable code), the channel's
 * allowance in numbers, and the actions this principal may take. Called by
 * GET /api/conversations/:id/reply-options, by the agent-message API before it queues anything
 * (and again at 二次确认) and by the sandbox. The channel answers the session and allowance
 * questions (ReplyRules); this module only combines them with WeReply's own facts.
 */
import { chooseDesk, type Desk } from '../routing/desk.js';
import type { Store } from '../store/database.js';
import { conversationAllowance } from '../store/allowance-repo.js';
import { operatorOfServicer, readDesks } from '../store/desk-repo.js';
import type { ConversationRow } from '../store/schema.js';
import type { ReplyReasonCode, ReplyRules } from './types.js';

export type DeskAction = 'reply' | 'take_over' | 'hand_to_wecom' | 'close';

export interface Who {
  /** For audit entries and messages. */
  name: string;
  /** The 接待人员 this operator is (null: not linked, e.g. the admin token). */
  servicerUserid: string | null;
  /** May write to customers (conversations:reply). */
  mayReply: boolean;
  /** May move or close conversations others hold (routing:write: supervisors, admins). */
  mayManage: boolean;
}

export interface ReplyOptions {
  /** The desk recorded on the conversation, else the one its kf account is configured with. */
  desk: Desk;
  /** True when the desk was recorded at a handoff (false: the configured desk, nobody handed it to a person yet). */
  desk_recorded: boolean;
  holder: { servicer_userid: string; name: string | null; operator_id: number | null } | null;
  /** WeCom's session state as WeReply knows it (0–4), null when unknown (treated as 1). */
  service_state: number | null;
  /** Waiting in WeReply's queue for a present agent (desk 'wereply', nobody holding yet). */
  waiting: boolean;
  can_reply: boolean;
  reason: string | null;
  reason_code: ReplyReasonCode | null;
  allowance: { messages_left: number; messages_max: number; window_ends_at: number | null; customer_must_write: boolean } | null;
  actions: DeskAction[];
}

export async function replyOptions(store: Store, conv: ConversationRow, rules: ReplyRules | undefined, who: Who, now = Date.now()): Promise<ReplyOptions> {
  const db = store.db;
  const state = conv.service_state === null ? null : Number(conv.service_state);
  const recorded = conv.desk === 'wereply' || conv.desk === 'wecom';
  const desk: Desk = recorded ? (conv.desk as Desk) : chooseDesk(await readDesks(db), conv.open_kfid, null).desk;
  const holderId = conv.servicer_userid;
  let holder: ReplyOptions['holder'] = null;
  if (holderId) {
    const sv = await db.selectFrom('servicers').select('name').where('userid', '=', holderId).executeTakeFirst();
    const op = await operatorOfServicer(db, holderId);
    holder = { servicer_userid: holderId, name: op?.name ?? sv?.name ?? null, operator_id: op?.id ?? null };
  }
  const waiting = desk === 'wereply' && !holderId && conv.waiting_since !== null;
  const holderName = holder ? `${holder.name ?? holder.servicer_userid}${holder.name && holder.name !== holderId ? ` (${holderId})` : ''}` : null;

  let allowance: ReplyOptions['allowance'] = null;
  let refusal: { code: ReplyReasonCode; reason: string } | null = null;
  if (!rules) refusal = { code: 'no_channel', reason: `channel ${conv.channel} has no rules for agent messages` };
  else {
    const facts = await conversationAllowance(db, Number(conv.id), rules.allowance.uncertaintyMs);
    const st = rules.standing({ now, customerWroteAt: facts.customerWroteAt, acceptedInAllowance: facts.acceptedInAllowance });
    allowance = { messages_left: st.messagesLeft, messages_max: st.messagesMax, window_ends_at: st.windowEndsAt, customer_must_write: st.customerMustWrite || state === 4 };
    refusal = rules.sessionRefusal(state, holderName);
    if (!refusal && desk === 'wereply' && holderId && holderId !== who.servicerUserid) {
      refusal = { code: 'held_by_other_agent', reason: `WeReply agent ${holderName} holds this conversation: only they answer it (take it over first)` };
    }
    refusal ??= st.refusal;
  }
  if (!refusal && !who.mayReply) refusal = { code: 'no_permission', reason: 'your role may not write to customers (needs conversations:reply)' };

  const actions: DeskAction[] = [];
  if (!refusal) actions.push('reply');
  const mine = !!holderId && holderId === who.servicerUserid;
  if (who.mayReply && who.servicerUserid && !mine && (who.mayManage || !holderId || state === 3 || state === 2)) actions.push('take_over');
  if (who.mayReply && (state === null || state === 0 || state === 1) && (mine || !holderId || who.mayManage)) actions.push('hand_to_wecom');
  if (who.mayReply && (state !== 4 || (desk === 'wereply' && holderId)) && (mine || (!holderId && state !== 3) || who.mayManage)) actions.push('close');

  return {
    desk,
    desk_recorded: recorded,
    holder,
    service_state: state,
    waiting,
    can_reply: refusal === null,
    reason: refusal?.reason ?? null,
    reason_code: refusal?.code ?? null,
    allowance,
    actions,
  };
}
