/**
 * Open live streams (SSE) per operator: at most `cap` each (a further one is refused with 429), and
 * ended at once when the operator is disabled or their role changes (the PATCH that does it calls
 * `endFor`), or when their session ends. Another instance's changes are caught by `recheck`, run
 * every few seconds while streams are open.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { liveSessionIds, operatorStates } from '../store/session-repo.js';
import type { Database } from '../store/schema.js';
import type { Principal } from './auth.js';

interface LiveStream {
  principal: Principal;
  /** Ends the HTTP response, telling the client why (an SSE `revoked` event). */
  end(reason: string): void;
}

export type OpenResult = { ok: true; close(): void } | { ok: false; open: number; cap: number };

export class LiveStreams {
  private readonly byOwner = new Map<string, Set<LiveStream>>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    private readonly db: Kysely<Database>,
    readonly cap: number,
    private readonly log: Logger,
    private readonly recheckEveryMs = 5000,
  ) {}

  /** Registers a stream of `principal`; refused when they already have `cap` open. */
  open(principal: Principal, end: (reason: string) => void): OpenResult {
    const key = ownerKey(principal);
    const set = this.byOwner.get(key) ?? new Set<LiveStream>();
    if (set.size >= this.cap) return { ok: false, open: set.size, cap: this.cap };
    const stream: LiveStream = { principal, end };
    set.add(stream);
    this.byOwner.set(key, set);
    this.timer ??= setInterval(() => void this.recheck(), this.recheckEveryMs).unref();
    return {
      ok: true,
      close: () => {
        set.delete(stream);
        if (set.size === 0) this.byOwner.delete(key);
        if (this.byOwner.size === 0 && this.timer) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
      },
    };
  }

  /** How many streams `principal` has open here. */
  count(principal: Principal): number {
    return this.byOwner.get(ownerKey(principal))?.size ?? 0;
  }

  /** Ends every stream of an operator now (disabled, role changed, signed out). */
  endFor(operatorId: number, reason: string): number {
    const set = this.byOwner.get(`op:${operatorId}`);
    if (!set) return 0;
    const streams = [...set];
    for (const s of streams) s.end(reason);
    return streams.length;
  }

  /** Ends the streams opened with one console session (signed out). */
  endSession(sessionId: number, reason: string): number {
    const streams = [...this.byOwner.values()].flatMap((set) => [...set]).filter((st) => st.principal.sessionId === sessionId);
    for (const st of streams) st.end(reason);
    return streams.length;
  }

  /** Ends streams whose operator was disabled or changed role, or whose session expired or was rotated away. */
  async recheck(now = Date.now()): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const all = [...this.byOwner.values()].flatMap((s) => [...s]);
      const opIds = [...new Set(all.map((s) => s.principal.operatorId).filter((x): x is number => x !== null))];
      const sessionIds = [...new Set(all.map((s) => s.principal.sessionId).filter((x): x is number => x != null))];
      const [ops, sessions] = await Promise.all([operatorStates(this.db, opIds), liveSessionIds(this.db, sessionIds, now)]);
      for (const s of all) {
        const p = s.principal;
        if (p.operatorId !== null) {
          const op = ops.get(p.operatorId);
          if (!op || op.disabled) s.end('your account was disabled');
          else if (op.role !== p.role) s.end('your role changed: reconnect to get what your new role may see');
        }
        if (p.sessionId != null && !sessions.has(p.sessionId)) s.end('your session ended: sign in again');
      }
    } catch (err) {
      this.log.warn({ err }, 'checking open live streams failed; will try again');
    } finally {
      this.checking = false;
    }
  }

  /** Ends every stream (server shutting down). */
  endAll(reason: string): void {
    for (const set of [...this.byOwner.values()]) for (const s of [...set]) s.end(reason);
  }
}

function ownerKey(p: Principal): string {
  return p.operatorId === null ? `admin:${p.name}` : `op:${p.operatorId}`;
}
