/**
 * The alert_notify job: tells the supervisors about an alert with a WeCom app message (message/send
 * from the self-built app, WECOM_AGENT_ID). The job is committed with the alert (store/alerts-repo.ts
 * insertAlert), so a crash loses no notification; it runs again until WeCom answers, and the
 * outcome is recorded on the alert. A repeat after a call whose answer was lost is not delivered
 * twice: the alert records `sent` at once, and WeCom's own duplicate check covers the gap between
 * the call and that record.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { describeMessageFindings } from '../compliance/servicer-scan.js';
import { WeComApiError, type WeComClient } from '../channels/wecom-kf/api-client.js';
import { PII_LABEL } from '../pipeline/compliance-guard.js';
import { alertRecipients, getAlert, setAlertNotified } from '../store/alerts-repo.js';
import type { Database } from '../store/schema.js';
import type { Job } from './job-queue.js';

/** WeCom errcodes that another try will not change: recorded on the alert, not retried. */
const PERMANENT = new Map<number, string>([
  [81013, 'none of the recipients is a member the app can reach (errcode 81013): check the userids and the app’s 可见范围'],
  [40056, 'WECOM_AGENT_ID is not this corp’s app (errcode 40056 invalid agentid)'],
  [48002, 'the app may not send app messages (errcode 48002)'],
  [60020, 'WeReply’s IP is not in the app’s 企业可信IP (errcode 60020)'],
  [44004, 'the message was empty (errcode 44004)'],
]);

export interface AlertNotifyDeps {
  db: Kysely<Database>;
  /** null: no WeCom configured (the alert says so). */
  wecom: WeComClient | null;
  /** The self-built app's AgentId (config.wecom.agentId). */
  agentId: string | undefined;
  log: Logger;
  onSent?: (recipients: number) => void;
}

/** The app message's text: who sent what, found how, and where to look. PII stays masked. */
export function alertMessageText(a: { id: number; conversation_id: number; servicer_userid: string | null; servicer_name: string | null; findings: Parameters<typeof describeMessageFindings>[0]; created_at: number }): string {
  const who = a.servicer_name ? `${a.servicer_name}（${a.servicer_userid}）` : (a.servicer_userid ?? '未知客服');
  const what = describeMessageFindings(a.findings, (k) => PII_LABEL[k] ?? k);
  const at = new Date(a.created_at).toISOString().replace('T', ' ').slice(0, 16);
  return `【WeReply 合规告警 #${a.id}】客服 ${who} 在企业微信客户端发给客户的消息含 ${what}。会话 #${a.conversation_id}，${at} UTC。请在 WeReply「合规告警」页查看并确认。`;
}

export function makeAlertNotifyHandler(deps: AlertNotifyDeps) {
  return async (job: Job): Promise<void> => {
    const id = Number((job.payload as { alert_id?: unknown }).alert_id);
    const alert = await getAlert(deps.db, id);
    if (!alert || alert.notify_status !== 'pending') return;
    const now = Date.now();
    if (!deps.wecom || !deps.agentId) {
      await setAlertNotified(deps.db, id, 'not_configured', 'no WeCom app message: set WECOM_AGENT_ID (the self-built app’s AgentId) to send alerts to supervisors', now);
      return;
    }
    const touser = await alertRecipients(deps.db);
    if (touser.length === 0) {
      await setAlertNotified(deps.db, id, 'no_recipients', 'no recipient: link supervisors to their WeCom userid (operators) or set alert recipients (settings)', now);
      return;
    }
    try {
      const res = await deps.wecom.sendAppText({ agentId: deps.agentId, touser, content: alertMessageText(alert) });
      const reached = touser.filter((u) => !res.invaliduser.includes(u.toLowerCase()) && !res.invaliduser.includes(u));
      const detail = res.invaliduser.length ? `sent to ${reached.join(', ')}; not delivered to ${res.invaliduser.join(', ')} (not in the app’s 可见范围 or unknown)` : `sent to ${touser.join(', ')}`;
      await setAlertNotified(deps.db, id, 'sent', detail, Date.now());
      deps.onSent?.(reached.length);
    } catch (err) {
      if (err instanceof WeComApiError && PERMANENT.has(err.errcode)) {
        deps.log.warn({ alert_id: id, errcode: err.errcode }, 'alert app message refused by WeCom');
        await setAlertNotified(deps.db, id, 'failed', PERMANENT.get(err.errcode)!, Date.now());
        return;
      }
      throw err; // busy, rate-limited, network: the job runs again with backoff
    }
  };
}
