/**
 * 合规审计: every compliance decision, newest first (GET /api/compliance/audit), filtered by action and
 * subject type, paged with before_id. Texts arrive already masked for roles without `pii:view`.
 */
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { App as AntApp, Button, Card, Select, Table, Tag, Tooltip, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { get } from '../api';
import { useI18n } from '../i18n';

interface AuditFinding {
  word?: string;
  matched?: string;
  category?: string;
  severity?: 'block' | 'warn';
  reason?: string;
  /** PII findings carry a kind instead of a word. */
  kind?: string;
}

interface AuditEntry {
  id: number;
  action: string;
  subject_type: string;
  subject_id: string | null;
  actor: string;
  text: string | null;
  findings: AuditFinding[];
  reason: string | null;
  created_at: number;
}

const ACTIONS = ['blocked', 'overridden', 'confirmed', 'held', 'released', 'words_changed', 'words_imported', 'alerted', 'acknowledged', 'taken_over', 'handed_to_wecom', 'closed'];
const SUBJECTS = ['rule', 'material', 'handoff_settings', 'agent_message', 'outbox', 'risk_words', 'servicer_message', 'alert', 'conversation'];
const ACTION_COLOR: Record<string, string> = { blocked: 'red', overridden: 'volcano', confirmed: 'green', held: 'orange', released: 'cyan', words_changed: 'blue', words_imported: 'geekblue', alerted: 'magenta', acknowledged: 'lime', taken_over: 'purple', handed_to_wecom: 'gold', closed: 'default' };
const PAGE = 50;

/** The notes the server writes for word changes ("added", "edited: enabled", "2 added, 1 updated (utf-8)") in the user's language; anything else (an override reason) as written. */
function reasonText(v: string, t: (k: string, vars?: Record<string, string | number>) => string): string {
  if (v === 'added' || v === 'deleted' || v === 'edits dropped') return t(`audit.note.${v.replace(' ', '_')}`);
  const edited = /^edited: (.+)$/.exec(v);
  if (edited) return t('audit.note.edited', { fields: edited[1]!.split(', ').map((f) => t(`words.field.${f}`)).join('、') });
  const imported = /^(\d+) added, (\d+) updated \((.+)\)$/.exec(v);
  if (imported) return t('audit.note.imported', { added: imported[1]!, updated: imported[2]!, encoding: imported[3]! });
  return v;
}

export default function AuditPage() {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [action, setAction] = useState('');
  const [subject, setSubject] = useState('');
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(false);

  const load = async (beforeId?: number) => {
    const p = new URLSearchParams({ limit: String(PAGE) });
    if (action) p.set('action', action);
    if (subject) p.set('subject_type', subject);
    if (beforeId) p.set('before_id', String(beforeId));
    setLoading(true);
    try {
      const page = await get<AuditEntry[]>(`/api/compliance/audit?${p}`);
      setEntries((xs) => (beforeId ? [...(xs ?? []), ...page] : page));
      setMore(page.length === PAGE);
    } catch (e) {
      message.error((e as Error).message);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load();
  }, [action, subject]);

  const subjectCell = (e: AuditEntry) => {
    const kind = t(`audit.subject.${e.subject_type}`);
    if (e.subject_type === 'rule' && e.subject_id) return <Link to={`/rules/${e.subject_id}`}>{`${kind} #${e.subject_id}`}</Link>;
    if (e.subject_type === 'risk_words' || !e.subject_id) return kind;
    return `${kind} #${e.subject_id}`;
  };

  return (
    <Card size="small">
      <Typography.Paragraph type="secondary" style={{ fontSize: 13 }}>
        {t('audit.help')}
      </Typography.Paragraph>
      <div className="toolbar">
        <Select aria-label={t('audit.action')} value={action} onChange={setAction} style={{ width: 150 }} options={[{ value: '', label: t('audit.allActions') }, ...ACTIONS.map((a) => ({ value: a, label: t(`audit.action.${a}`) }))]} />
        <Select
          aria-label={t('audit.subjectType')}
          value={subject}
          onChange={setSubject}
          style={{ width: 150 }}
          options={[{ value: '', label: t('audit.allSubjects') }, ...SUBJECTS.map((s) => ({ value: s, label: t(`audit.subject.${s}`) }))]}
        />
        <span className="grow" />
        <Button icon={<ReloadOutlined />} onClick={() => load()} aria-label={t('common.refresh')}>
          {t('common.refresh')}
        </Button>
      </div>
      <Table<AuditEntry>
        rowKey="id"
        size="small"
        loading={loading && !entries}
        dataSource={entries ?? []}
        pagination={false}
        scroll={{ x: 900 }}
        locale={{ emptyText: t('audit.empty') }}
        columns={[
          { title: t('audit.time'), dataIndex: 'created_at', width: 160, render: (v: number) => <span style={{ whiteSpace: 'nowrap' }}>{dayjs(v).format('YYYY-MM-DD HH:mm:ss')}</span> },
          {
            title: t('audit.action'),
            dataIndex: 'action',
            width: 110,
            render: (v: string) => (
              <Tag color={ACTION_COLOR[v] ?? 'default'} data-testid="audit-action">
                {t(`audit.action.${v}`)}
              </Tag>
            ),
          },
          { title: t('audit.subject'), key: 'subject', width: 110, responsive: ['sm'], render: (_, e) => subjectCell(e) },
          { title: t('audit.actor'), dataIndex: 'actor', width: 90, ellipsis: true, responsive: ['md'] },
          {
            title: t('audit.text'),
            dataIndex: 'text',
            render: (v: string | null) =>
              v ? (
                <Typography.Paragraph ellipsis={{ rows: 2, tooltip: v }} style={{ margin: 0 }} data-testid="audit-text">
                  {v}
                </Typography.Paragraph>
              ) : (
                '—'
              ),
          },
          {
            title: t('audit.findings'),
            dataIndex: 'findings',
            width: 180,
            responsive: ['md'],
            render: (fs: AuditFinding[]) =>
              fs.length ? (
                <div style={{ display: 'flex', flexWrap: 'wrap', gap: 4 }}>
                  {fs.map((f, i) =>
                    f.word ? (
                      <Tooltip key={i} title={[f.category, f.reason].filter(Boolean).join(' · ')}>
                        <Tag color={f.severity === 'block' ? 'red' : 'orange'} style={{ marginInlineEnd: 0 }}>
                          {f.matched ?? f.word}
                        </Tag>
                      </Tooltip>
                    ) : (
                      <Tag key={i} color="purple" style={{ marginInlineEnd: 0 }}>
                        {t(`pii.${f.kind}`)}
                      </Tag>
                    ),
                  )}
                </div>
              ) : (
                '—'
              ),
          },
          {
            title: t('audit.reason'),
            dataIndex: 'reason',
            width: 200,
            responsive: ['lg'],
            render: (v: string | null) =>
              v ? (
                <Typography.Paragraph ellipsis={{ rows: 2, tooltip: v }} style={{ margin: 0 }}>
                  {reasonText(v, t)}
                </Typography.Paragraph>
              ) : (
                '—'
              ),
          },
        ]}
      />
      {entries && entries.length > 0 && (
        <div style={{ textAlign: 'center', marginTop: 12 }}>
          {more ? (
            <Button onClick={() => load(entries[entries.length - 1]!.id)} loading={loading}>
              {t('audit.more')}
            </Button>
          ) : (
            <Typography.Text type="secondary">{t('audit.end')}</Typography.Text>
          )}
        </div>
      )}
    </Card>
  );
}
