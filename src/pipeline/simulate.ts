/**
 * The sandbox: runs the pipeline's decision for a made-up message without storing or sending
 * anything, with the customer's real state (test account, any-message cooldown) when one is named.
 */
import type { Decision } from '../rules/decide.js';
import { normalizeText } from '../rules/normalize.js';
import type { Target } from '../routing/model.js';
import type { RouteDecision } from '../routing/route.js';
import type { Store } from '../store/database.js';
import { chooseDesk, type DeskChoice } from '../routing/desk.js';
import { readDesks } from '../store/desk-repo.js';
import type { ConversationRow } from '../store/schema.js';
import { customerAttributes, previewRouting } from './assign-conversation.js';
import { heldByPerson } from './ingest-message.js';
import type { RuleCache } from './rule-cache.js';

export interface SimulateInput {
  text: string;
  /** Use this customer's state (test account flag, cooldown). */
  external_userid?: string;
  /** Treat the customer as a 测试账号 (draft rules fire). Overrides the stored flag. */
  test_account?: boolean;
  /** Simulated time (ISO 8601), default now. */
  at?: string;
  /** Simulate the customer opening the chat (enter_session) instead of a message: the welcome message. */
  event?: 'enter_session';
  /** Show the routing decision even when the message would not hand off. */
  route?: boolean;
  /** The kf account written to (routing conditions may depend on it). */
  open_kfid?: string;
}

export interface SimulateResult extends Omit<Decision, 'anyMessageReplied' | 'unmatched'> {
  /** Who would get the conversation on handoff (tree branch, candidates and why each was skipped). */
  routing: RouteDecision | null;
  normalized_text: string;
  at: string;
  test_account: boolean;
  /** The desk a handoff would go to (per kf account / routing group) and why. */
  desk: DeskChoice;
  /** The customer's conversation (with external_userid), if there is one. */
  conversation: ConversationRow | null;
  /** A person holds the conversation (a WeReply agent, WeReply's queue, WeCom's pool or a servicer): keyword replies stay silent. */
  held_by: string | null;
}

export class SimulateError extends Error {}

export async function simulate(store: Store, timezone: string, rules: RuleCache, input: SimulateInput): Promise<SimulateResult> {
  const { db } = store;
  const at = input.at ? Date.parse(input.at) : Date.now();
  if (Number.isNaN(at)) throw new SimulateError(`"at" must be an ISO 8601 time such as 2026-11-25T23:30:00+08:00, got "${input.at}"`);
  let testAccount = input.test_account ?? false;
  let lastAnyReplyAt: number | null = null;
  let unmatchedStreak = 0;
  let conversation: ConversationRow | null = null;
  if (input.external_userid) {
    const customer = await db.selectFrom('customers').select('test_account').where('external_userid', '=', input.external_userid).executeTakeFirst();
    if (input.test_account === undefined) testAccount = !!customer?.test_account;
    let q = db.selectFrom('conversations').selectAll().where('external_userid', '=', input.external_userid);
    if (input.open_kfid) q = q.where('open_kfid', '=', input.open_kfid);
    const conv = await q.orderBy('updated_at', 'desc').executeTakeFirst();
    conversation = conv ?? null;
    lastAnyReplyAt = conv?.last_any_reply_at == null ? null : Number(conv.last_any_reply_at);
    unmatchedStreak = Number(conv?.unmatched_streak ?? 0);
  }
  const ruleSet = await rules.get();
  const heldBy = conversation && input.event !== 'enter_session' ? heldByPerson(conversation, at) : null;
  const d = input.event === 'enter_session' ? ruleSet.decideWelcome({ testAccount, at }) : ruleSet.decide({ text: input.text, testAccount, at, lastAnyReplyAt, unmatchedStreak });
  const routing =
    d.handoff || input.route
      ? await previewRouting(
          store,
          timezone,
          { text: input.text, kfAccount: input.open_kfid ?? '', channel: 'wecom-kf', ...(input.external_userid ? await customerAttributes(store, input.external_userid) : { customerTags: [] }), at },
          d.handoff?.route as Target | undefined,
        )
      : null;
  const kf = input.open_kfid ?? conversation?.open_kfid ?? '';
  const desk = routing?.desk ?? chooseDesk(await readDesks(db), kf, null);
  return {
    routing,
    desk,
    conversation,
    held_by: heldBy ? `${heldBy}: the bot does not answer this customer (the pipeline decides nothing while a person handles the conversation)` : null,
    normalized_text: normalizeText(input.text),
    at: new Date(at).toISOString(),
    test_account: testAccount,
    matched: d.matched,
    replies: d.replies,
    handoff: d.handoff,
    skipped: d.skipped,
  };
}
