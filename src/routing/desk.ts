/**
 * The desk: where people answer a conversation after 转人工.
 * - 'wecom': the WeCom client. Routing picks a servicer and WeCom moves the session to state 3; from
 *   then on only the servicer in the WeCom client can write (kf/send_msg answers 95018).
 * - 'wereply': WeReply's inbox ("API 接待"). Routing picks a person the same way, among servicers
 *   linked to an operator who is present in the console; the session stays with the API (state 1)
 *   so the agent's messages go out through the outbox, with 二次确认 and the compliance guard.
 *
 * Configured per kf account (default 'wecom', today's behaviour) and optionally overridden per
 * routing group. Pure: plain data in, a decision with its reason out.
 */
import type { Target } from './model.js';

export const DESKS = ['wecom', 'wereply'] as const;
export type Desk = (typeof DESKS)[number];

/** The desk configuration as saved (the 'desks' setting). */
export interface DeskConfig {
  /** Per kf account (open_kfid); accounts not listed use `default`. */
  accounts: Record<string, Desk>;
  /** Per routing group id: overrides the account's desk when the routing tree targets that group. */
  groups: Record<string, Desk>;
  /** For accounts not listed: 'wecom' (the behaviour before desks existed). */
  default: Desk;
}

export const DEFAULT_DESK_CONFIG: DeskConfig = { accounts: {}, groups: {}, default: 'wecom' };

export interface DeskChoice {
  desk: Desk;
  /** One sentence for the trace: which setting decided. */
  reason: string;
}

/** The desk for a conversation of `kfAccount` whose routing target is `target` (null: the tree named none). */
export function chooseDesk(config: DeskConfig, kfAccount: string, target: Target | null): DeskChoice {
  const group = target && 'group' in target ? target.group : undefined;
  const byGroup = group !== undefined ? config.groups[group] : undefined;
  if (byGroup) return { desk: byGroup, reason: `group ${group} answers in ${deskName(byGroup)}` };
  const byAccount = config.accounts[kfAccount];
  if (byAccount) return { desk: byAccount, reason: `kf account ${kfAccount} answers in ${deskName(byAccount)}` };
  return { desk: config.default, reason: `default desk: ${deskName(config.default)}` };
}

export function deskName(desk: Desk): string {
  return desk === 'wereply' ? 'WeReply 接待 (the WeReply inbox)' : '企业微信客户端接待 (the WeCom client)';
}

/**
 * Is an operator present for the WeReply desk now? Online as they set it, and seen by a heartbeat
 * within `timeoutMs` (a console closed without saying so counts as away after the timeout).
 */
export function isPresent(presence: string, seenAt: number | null, now: number, timeoutMs: number): boolean {
  return presence === 'online' && seenAt !== null && now - seenAt <= timeoutMs;
}
