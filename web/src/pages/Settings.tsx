/** 设置: WeCom connection (test with gettoken), the callback URL, outbox states, recent WeCom errors, 转人工. */
import { useEffect, useMemo, useState } from 'react';
import { Alert, App as AntApp, Button, Card, Col, Descriptions, Form, Input, InputNumber, Row, Select, Space, Statistic, Table, Tag, Typography } from 'antd';
import { ApiOutlined, ReloadOutlined } from '@ant-design/icons';
import { get, post, put } from '../api';
import { useAuth } from '../auth';
import { EChart } from '../components/LazyEChart';
import { useI18n } from '../i18n';
import { MyPasswordCard, OperatorsCard } from './settings/Operators';
import { DeskSettings } from './settings/Desks';

interface Status {
  mode: 'demo' | 'wecom' | 'unconfigured';
  corp_id: string | null;
  api_base: string | null;
  callback_url: string;
  kf_accounts: string[];
  timezone: string;
  outbox: Record<string, number>;
  outbox_oldest_pending_at: number | null;
  recent_errors: { at: number; outbox_id: number; errcode: number | null; error: string | null; plain_zh: string; plain_en: string }[];
  recent_waiting: { id: number; external_userid: string; reason: string | null; created_at: number }[];
  recent_failed: { id: number; external_userid: string; reason: string | null; errcode: number | null; plain_zh: string; plain_en: string; created_at: number }[];
}

const STATE_COLORS: Record<string, string> = { sent: '#52c41a', pending: '#bfbfbf', sending: '#1677ff', retry: '#faad14', failed: '#ff4d4f', held: '#fa541c', waiting_allowance: '#d4b106' };

export default function SettingsPage() {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const { message } = AntApp.useApp();
  const [status, setStatus] = useState<Status | null>(null);
  const [test, setTest] = useState<{ ok: boolean; message: string; message_zh: string; latency_ms: number } | null>(null);
  const [testing, setTesting] = useState(false);
  const [handoffForm] = Form.useForm();

  const load = () =>
    get<Status>('/api/wecom/status')
      .then(setStatus)
      .catch((e) => message.error(e.message));
  useEffect(() => {
    void load();
    get('/api/settings/handoff')
      .then((h) => handoffForm.setFieldsValue(h))
      .catch(() => undefined);
  }, []);

  const runTest = async () => {
    setTesting(true);
    try {
      setTest(await post('/api/wecom/test-connection'));
    } catch (e) {
      setTest({ ok: false, message: (e as Error).message, message_zh: (e as Error).message, latency_ms: 0 });
    } finally {
      setTesting(false);
      void load();
    }
  };

  const pie = useMemo(
    () => ({
      tooltip: { trigger: 'item' },
      legend: { bottom: 0, type: 'scroll' },
      series: [
        {
          type: 'pie',
          radius: ['45%', '70%'],
          center: ['50%', '42%'],
          label: { show: false },
          data: Object.entries(status?.outbox ?? {})
            .filter(([, n]) => n > 0)
            .map(([k, n]) => ({ name: t(`outbox.${k}`), value: n, itemStyle: { color: STATE_COLORS[k] } })),
        },
      ],
    }),
    [status, lang],
  );

  const saveHandoff = async (v: any) => {
    try {
      const phrases = typeof v.phrases === 'string' ? v.phrases.split(/[,，\n]/) : v.phrases;
      await put('/api/settings/handoff', { ...v, phrases: phrases.map((p: string) => p.trim()).filter(Boolean) });
      message.success(t('common.saved'));
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Card size="small" title={t('settings.wecom')} extra={<Button size="small" icon={<ReloadOutlined />} onClick={load} aria-label={t('common.refresh')} />}>
        {status && (
          <>
            {status.mode === 'demo' && <Alert type="info" showIcon title={t('settings.demo')} style={{ marginBottom: 12 }} />}
            <Descriptions size="small" column={{ xs: 1, md: 2 }} bordered>
              <Descriptions.Item label={t('settings.mode')}>{t(`settings.mode.${status.mode}`)}</Descriptions.Item>
              <Descriptions.Item label={t('settings.corpId')}>{status.corp_id ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('settings.apiBase')}>{status.api_base ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('settings.timezone')}>{status.timezone}</Descriptions.Item>
              <Descriptions.Item label={t('settings.kfAccounts')} span={2}>
                {status.kf_accounts.length ? status.kf_accounts.map((k) => <Tag key={k}>{k}</Tag>) : '—'}
              </Descriptions.Item>
              <Descriptions.Item label={t('settings.callbackUrl')} span={2}>
                <Typography.Text copyable code data-testid="callback-url">
                  {status.callback_url}
                </Typography.Text>
                <div style={{ fontSize: 12, color: '#888' }}>{t('settings.callbackHelp')}</div>
              </Descriptions.Item>
            </Descriptions>
            <Space style={{ marginTop: 12 }} wrap>
              <Button type="primary" icon={<ApiOutlined />} onClick={runTest} loading={testing} disabled={!can('settings:write') || status.mode === 'unconfigured'}>
                {t('settings.test')}
              </Button>
              <Typography.Text type="secondary">{t('settings.testHelp')}</Typography.Text>
            </Space>
            {test && (
              <Alert
                style={{ marginTop: 12 }}
                type={test.ok ? 'success' : 'error'}
                showIcon
                role="status"
                data-testid="test-result"
                title={test.ok ? t('settings.testOk', { ms: test.latency_ms }) : t('settings.testFailed')}
                description={lang === 'zh' ? test.message_zh : test.message}
              />
            )}
          </>
        )}
      </Card>
      <Row gutter={[12, 12]}>
        <Col xs={24} lg={10}>
          <Card size="small" title={t('settings.outbox')}>
            <Row gutter={8}>
              {['pending', 'retry', 'failed', 'held', 'waiting_allowance', 'sent'].map((k) => (
                <Col span={8} key={k}>
                  <Statistic title={t(`outbox.${k}`)} value={status?.outbox[k] ?? 0} valueStyle={{ fontSize: 20, color: k === 'failed' && status?.outbox[k] ? '#ff4d4f' : undefined }} />
                </Col>
              ))}
            </Row>
            {status?.outbox_oldest_pending_at && (
              <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
                {t('settings.oldest', { at: new Date(status.outbox_oldest_pending_at).toLocaleString() })}
              </Typography.Paragraph>
            )}
            <EChart option={pie} height={200} label={t('settings.outbox')} />
          </Card>
        </Col>
        <Col xs={24} lg={14}>
          <Card size="small" title={t('settings.errors')}>
            <Table
              size="small"
              rowKey={(r) => `${r.outbox_id}-${r.at}`}
              dataSource={status?.recent_errors ?? []}
              pagination={{ pageSize: 5, hideOnSinglePage: true }}
              locale={{ emptyText: t('settings.noErrors') }}
              scroll={{ x: 480 }}
              columns={[
                { title: t('settings.when'), dataIndex: 'at', width: 160, render: (v) => new Date(v).toLocaleString() },
                { title: 'errcode', dataIndex: 'errcode', width: 80, render: (v) => v ?? '—' },
                { title: t('settings.meaning'), render: (_, r) => (lang === 'zh' ? r.plain_zh : r.plain_en) },
              ]}
            />
            <Typography.Title level={5} style={{ marginTop: 12 }}>
              {t('settings.waiting')}
            </Typography.Title>
            <Typography.Paragraph type="secondary">{t('settings.waitingHelp')}</Typography.Paragraph>
            <Table
              size="small"
              rowKey="id"
              data-testid="waiting-allowance"
              dataSource={status?.recent_waiting ?? []}
              pagination={{ pageSize: 5, hideOnSinglePage: true }}
              locale={{ emptyText: t('settings.noWaiting') }}
              scroll={{ x: 480 }}
              columns={[
                { title: t('settings.when'), dataIndex: 'created_at', width: 160, render: (v) => new Date(v).toLocaleString() },
                { title: t('settings.customer'), dataIndex: 'external_userid', width: 160, ellipsis: true },
                { title: t('settings.meaning'), dataIndex: 'reason' },
              ]}
            />
            <Typography.Title level={5} style={{ marginTop: 12 }}>
              {t('settings.failed')}
            </Typography.Title>
            <Table
              size="small"
              rowKey="id"
              dataSource={status?.recent_failed ?? []}
              pagination={{ pageSize: 5, hideOnSinglePage: true }}
              locale={{ emptyText: t('settings.noFailed') }}
              scroll={{ x: 480 }}
              columns={[
                { title: t('settings.when'), dataIndex: 'created_at', width: 160, render: (v) => new Date(v).toLocaleString() },
                { title: t('settings.customer'), dataIndex: 'external_userid', width: 160, ellipsis: true },
                { title: t('settings.meaning'), render: (_, r) => (lang === 'zh' ? r.plain_zh : r.plain_en) },
              ]}
            />
          </Card>
        </Col>
      </Row>
      <DeskSettings kfAccounts={status?.kf_accounts ?? []} />
      <Card size="small" title={t('settings.handoff')}>
        <Form form={handoffForm} layout="vertical" onFinish={saveHandoff} disabled={!can('rules:write')} style={{ maxWidth: 640 }}>
          <Form.Item name="phrases" label={t('settings.phrases')} extra={t('settings.phrasesHelp')}>
            <Select mode="tags" open={false} suffixIcon={null} tokenSeparators={[',', '，']} aria-label={t('settings.phrases')} />
          </Form.Item>
          <Form.Item name="after_unmatched" label={t('settings.afterUnmatched')} extra={t('settings.afterUnmatchedHelp')}>
            <InputNumber min={0} max={100} />
          </Form.Item>
          <Form.Item name="waiting_message" label={t('settings.waitingMessage')} rules={[{ required: true, max: 600 }]}>
            <Input.TextArea rows={2} />
          </Form.Item>
          <Button type="primary" htmlType="submit">
            {t('common.save')}
          </Button>
        </Form>
      </Card>
      {can('operators:manage') && <OperatorsCard />}
      <MyPasswordCard />
    </Space>
  );
}
