/**
 * 合规告警: messages servicers sent from the WeCom client that the after-the-fact scan found breaking
 * the rules (GET /api/alerts), who sent them, a link to the conversation, and acknowledging them
 * (POST /api/alerts/:id/acknowledge, with an optional note that goes to the audit log).
 */
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { App as AntApp, Button, Card, Input, Modal, Segmented, Select, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import { CheckOutlined, ReloadOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { get, post, put } from '../api';
import type { MessageFindings } from '../components/ServicerMessage';
import { useI18n } from '../i18n';
import { refreshAlertBadge } from './alert-badge';

interface AlertRow {
  id: number;
  severity: 'block' | 'pii';
  conversation_id: number;
  external_userid: string | null;
  servicer_userid: string | null;
  servicer_name: string | null;
  findings: MessageFindings;
  text: string | null;
  created_at: number;
  acknowledged_by: string | null;
  acknowledged_at: number | null;
  ack_note: string | null;
  notify_status: string;
  notify_detail: string | null;
}

const PAGE = 20;
const NOTIFY_COLOR: Record<string, string> = { sent: 'green', failed: 'red', pending: 'processing', no_recipients: 'default', not_configured: 'default' };

export default function AlertsPage() {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [status, setStatus] = useState<'open' | 'acknowledged' | 'all'>('open');
  const [page, setPage] = useState(1);
  const [data, setData] = useState<{ items: AlertRow[]; total: number } | null>(null);
  const [loading, setLoading] = useState(false);
  const [acking, setAcking] = useState<AlertRow | null>(null);
  const [note, setNote] = useState('');

  const load = async () => {
    setLoading(true);
    try {
      setData(await get(`/api/alerts?status=${status}&limit=${PAGE}&offset=${(page - 1) * PAGE}`));
    } catch (e) {
      message.error((e as Error).message);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    void load();
  }, [status, page]);

  const acknowledge = async () => {
    if (!acking) return;
    try {
      await post(`/api/alerts/${acking.id}/acknowledge`, note.trim() ? { note: note.trim() } : {});
      message.success(t('alerts.acked'));
      setAcking(null);
      setNote('');
      refreshAlertBadge();
      await load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Card size="small">
        <Typography.Paragraph type="secondary" style={{ fontSize: 13 }}>
          {t('alerts.help')}
        </Typography.Paragraph>
        <div className="toolbar">
          <Segmented
            aria-label={t('alerts.severity')}
            value={status}
            onChange={(v) => {
              setStatus(v as typeof status);
              setPage(1);
            }}
            options={(['open', 'acknowledged', 'all'] as const).map((v) => ({ value: v, label: t(`alerts.${v}`) }))}
          />
          <span className="grow" />
          <Button icon={<ReloadOutlined />} onClick={() => load()} aria-label={t('common.refresh')}>
            {t('common.refresh')}
          </Button>
        </div>
        <Table<AlertRow>
          rowKey="id"
          size="small"
          loading={loading}
          dataSource={data?.items ?? []}
          scroll={{ x: 1160 }}
          locale={{ emptyText: t('alerts.empty') }}
          pagination={{ current: page, pageSize: PAGE, total: data?.total ?? 0, onChange: setPage, showSizeChanger: false }}
          onRow={(r) => ({ 'data-testid': `alert-${r.id}` }) as React.HTMLAttributes<HTMLElement>}
          columns={[
            { title: t('alerts.time'), dataIndex: 'created_at', width: 150, render: (v: number) => <span style={{ whiteSpace: 'nowrap' }}>{dayjs(v).format('YYYY-MM-DD HH:mm')}</span> },
            {
              title: t('alerts.severity'),
              dataIndex: 'severity',
              width: 100,
              render: (v: string) => <Tag color={v === 'block' ? 'red' : 'purple'}>{t(`alerts.severity.${v}`)}</Tag>,
            },
            {
              title: t('alerts.servicer'),
              key: 'servicer',
              width: 130,
              render: (_, r) => <span data-testid="alert-servicer">{r.servicer_name ? `${r.servicer_name}（${r.servicer_userid}）` : (r.servicer_userid ?? t('alerts.unknownServicer'))}</span>,
            },
            {
              title: t('alerts.text'),
              dataIndex: 'text',
              width: 260,
              render: (v: string | null) => (v ? <Typography.Paragraph ellipsis={{ rows: 2, tooltip: v }} style={{ margin: 0 }}>{v}</Typography.Paragraph> : '—'),
            },
            {
              title: t('alerts.findings'),
              key: 'findings',
              width: 180,
              render: (_, r) => (
                <div style={{ display: 'flex', flexWrap: 'wrap', gap: 4 }} data-testid="alert-findings">
                  {r.findings.risk
                    .filter((f) => f.severity === 'block')
                    .map((f, i) => (
                      <Tooltip key={`r${i}`} title={`${f.category}：${f.reason}`}>
                        <Tag color="red" style={{ marginInlineEnd: 0 }}>
                          {f.matched}
                        </Tag>
                      </Tooltip>
                    ))}
                  {r.findings.pii
                    .filter((p) => p.held)
                    .map((p, i) => (
                      <Tag key={`p${i}`} color="purple" style={{ marginInlineEnd: 0 }}>
                        {t(`pii.${p.kind}`)} {p.masked}
                      </Tag>
                    ))}
                </div>
              ),
            },
            {
              title: t('alerts.conversation'),
              key: 'conversation',
              width: 120,
              render: (_, r) => <Link to={`/inbox/${r.conversation_id}`}>{t('alerts.openConversation', { id: r.conversation_id })}</Link>,
            },
            {
              title: t('alerts.notify'),
              dataIndex: 'notify_status',
              width: 100,
              responsive: ['md'],
              render: (v: string, r) => (
                <Tooltip title={r.notify_detail}>
                  <Tag color={NOTIFY_COLOR[v] ?? 'default'}>{t(`alerts.notify.${v}`)}</Tag>
                </Tooltip>
              ),
            },
            {
              title: '',
              key: 'ack',
              width: 150,
              render: (_, r) =>
                r.acknowledged_at ? (
                  <Tooltip title={r.ack_note}>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {t('alerts.ackedBy', { name: r.acknowledged_by ?? '', at: dayjs(r.acknowledged_at).format('MM-DD HH:mm') })}
                    </Typography.Text>
                  </Tooltip>
                ) : (
                  <Button size="small" icon={<CheckOutlined />} onClick={() => setAcking(r)} data-testid="alert-ack">
                    {t('alerts.ack')}
                  </Button>
                ),
            },
          ]}
        />
        <Modal open={!!acking} title={t('alerts.ackTitle')} onCancel={() => setAcking(null)} onOk={acknowledge} okText={t('alerts.ack')}>
          <label htmlFor="alert-note">{t('alerts.ackNote')}</label>
          <Input.TextArea id="alert-note" rows={2} maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />
        </Modal>
      </Card>
      <RecipientsCard />
    </Space>
  );
}

/** Who receives alerts as WeCom app messages (GET/PUT /api/settings/alerts; needs WECOM_AGENT_ID). */
function RecipientsCard() {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [value, setValue] = useState<{ notify_userids: string[]; notify_supervisors: boolean } | null>(null);
  useEffect(() => {
    get('/api/settings/alerts')
      .then(setValue)
      .catch((e: unknown) => message.error((e as Error).message));
  }, []);
  if (!value) return null;
  const save = async () => {
    try {
      setValue(await put('/api/settings/alerts', value));
      message.success(t('common.saved'));
    } catch (e) {
      message.error((e as Error).message);
    }
  };
  return (
    <Card size="small" title={t('alerts.recipients')}>
      <Typography.Paragraph type="secondary" style={{ fontSize: 13 }}>
        {t('alerts.recipientsHelp')}
      </Typography.Paragraph>
      <Space wrap>
        <Select
          mode="tags"
          aria-label={t('alerts.recipientUserids')}
          placeholder={t('alerts.recipientUserids')}
          style={{ minWidth: 280 }}
          value={value.notify_userids}
          onChange={(v: string[]) => setValue({ ...value, notify_userids: v })}
          tokenSeparators={[',', ' ', '|']}
        />
        <Space>
          <Switch checked={value.notify_supervisors} onChange={(v) => setValue({ ...value, notify_supervisors: v })} aria-label={t('alerts.notifySupervisors')} />
          {t('alerts.notifySupervisors')}
        </Space>
        <Button type="primary" onClick={save}>
          {t('common.save')}
        </Button>
      </Space>
    </Card>
  );
}
