/**
 * A message a servicer sent from the WeCom client (origin 5), as the inbox history labels it: the
 * servicer's name, and a marker when the after-the-fact compliance scan found something (red: it
 * raised an alert; orange: warn-level findings, recorded only).
 */
import { Tag, Tooltip } from 'antd';
import { WarningOutlined } from '@ant-design/icons';
import { useI18n } from '../i18n';

export interface MessageFindings {
  risk: { field: string; matched: string; category: string; severity: 'block' | 'warn'; reason: string }[];
  pii: { field: string; kind: string; masked: string; held: boolean }[];
  alert: 'block' | 'pii' | null;
}

/** The fields a history item has for servicer messages (GET /api/conversations/:id/messages). */
export interface SentByFields {
  sent_by?: { servicer_userid: string | null; servicer_name: string | null } | null;
  findings?: MessageFindings | null;
}

/** One line per finding, for a tooltip or the alerts page. */
export function findingLines(f: MessageFindings, t: (k: string, v?: Record<string, string>) => string): string[] {
  return [
    ...f.risk.map((r) => `「${r.matched}」${r.category} · ${t(`words.severity.${r.severity}`)}：${r.reason}`),
    ...f.pii.map((p) => `${t(`pii.${p.kind}`)} ${p.masked}${p.held ? ` · ${t('alerts.piiHeld')}` : ''}`),
  ];
}

export function ServicerMessageLabel({ item }: { item: SentByFields }) {
  const { t } = useI18n();
  const who = item.sent_by?.servicer_name || item.sent_by?.servicer_userid || t('by.servicer');
  const f = item.findings;
  return (
    <span data-testid="servicer-label">
      {t('inbox.servicerSent', { name: who })}
      {f && (f.risk.length > 0 || f.pii.length > 0) && (
        <Tooltip title={findingLines(f, t).map((l) => <div key={l}>{l}</div>)}>
          <Tag color={f.alert ? 'red' : 'orange'} icon={<WarningOutlined />} style={{ marginInlineStart: 6 }} data-testid="servicer-findings">
            {f.alert ? t('inbox.servicerAlert') : t('inbox.servicerWarn')}
          </Tag>
        </Tooltip>
      )}
    </span>
  );
}
