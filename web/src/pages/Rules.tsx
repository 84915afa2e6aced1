import { useEffect, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { App as AntApp, Button, Card, Input, Popconfirm, Select, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { del, get, patch } from '../api';
import { EChart } from '../components/LazyEChart';
import { useI18n } from '../i18n';
import { useAuth } from '../auth';
import { prefetched } from '../prefetch';

export interface Rule {
  id: number;
  name: string;
  kind: 'keyword' | 'any_message' | 'welcome';
  match: Record<string, string[]> | null;
  reply: any[];
  priority: number;
  stop: boolean;
  active_hours: any;
  cooldown_seconds: number | null;
  enabled: boolean;
  status: 'live' | 'draft';
  hit_count: number;
  updated_at: number;
  /** Regex rules cut off on real messages (own time limit, or the message's regex budget spent); null when never. */
  regex_health?: { timeouts: number; budget_skips: number; last_at: number } | null;
}

/** "该正则在 N 条消息上超时/被跳过": the warning shown in the rules list and the editor. */
export function regexHealthText(h: NonNullable<Rule['regex_health']>, t: (k: string, v?: Record<string, string | number>) => string): string {
  return t('rules.regexHealth', { timeouts: h.timeouts, skips: h.budget_skips, at: new Date(h.last_at).toLocaleString() });
}

const MATCH_KINDS = ['exact', 'any', 'all', 'none', 'command', 'regex'] as const;

export function matchSummary(match: Rule['match'], t: (k: string) => string): string {
  if (!match) return '';
  return MATCH_KINDS.filter((k) => match[k]?.length)
    .map((k) => `${t(`match.${k}`)}: ${match[k]!.join(' / ')}`)
    .join('；');
}

export default function RulesPage() {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const { message } = AntApp.useApp();
  const navigate = useNavigate();
  const [rules, setRules] = useState<Rule[] | null>(null);
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<string>('all');
  const [kind, setKind] = useState<string>('all');

  const load = () =>
    prefetched('/api/rules', () => get<Rule[]>('/api/rules'))
      .then(setRules)
      .catch((e) => message.error(e.message));
  useEffect(() => {
    void load();
  }, []);

  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return (rules ?? []).filter((r) => {
      if (status === 'live' && !(r.status === 'live' && r.enabled)) return false;
      if (status === 'draft' && r.status !== 'draft') return false;
      if (status === 'disabled' && r.enabled) return false;
      if (kind !== 'all' && r.kind !== kind) return false;
      if (!needle) return true;
      const hay = [r.name, ...Object.values(r.match ?? {}).flat(), ...r.reply.map((x) => x.text ?? x.title ?? '')].join(' ').toLowerCase();
      return hay.includes(needle);
    });
  }, [rules, q, status, kind]);

  const top = useMemo(() => [...(rules ?? [])].sort((a, b) => b.hit_count - a.hit_count).slice(0, 8).reverse(), [rules]);
  const option = useMemo(
    () => ({
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: top.map((r) => (r.name.length > 12 ? r.name.slice(0, 12) + '…' : r.name)) },
      series: [{ type: 'bar', name: t('rules.hits'), data: top.map((r) => r.hit_count), itemStyle: { color: '#07c160' } }],
    }),
    [top, lang],
  );

  const toggle = async (r: Rule, enabled: boolean) => {
    try {
      await patch(`/api/rules/${r.id}`, { enabled });
      await load();
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Card size="small">
        <div className="toolbar">
          <Input.Search allowClear placeholder={t('rules.search')} aria-label={t('rules.search')} value={q} onChange={(e) => setQ(e.target.value)} style={{ maxWidth: 280 }} />
          <Select
            aria-label={t('rules.status')}
            value={status}
            onChange={setStatus}
            style={{ width: 130 }}
            options={['all', 'live', 'draft', 'disabled'].map((v) => ({ value: v, label: t(`rules.filter.${v}`) }))}
          />
          <Select aria-label={t('rules.kind')} value={kind} onChange={setKind} style={{ width: 150 }} options={['all', 'keyword', 'any_message', 'welcome'].map((v) => ({ value: v, label: t(`kind.${v}`) }))} />
          <span className="grow" />
          {can('rules:write') && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/rules/new')}>
              {t('rules.new')}
            </Button>
          )}
        </div>
        <Table<Rule>
          rowKey="id"
          size="small"
          loading={!rules}
          dataSource={shown}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          scroll={{ x: 'max-content' }}
          onRow={(r) => ({ onDoubleClick: () => navigate(`/rules/${r.id}`) })}
          columns={[
            {
              title: t('rules.name'),
              dataIndex: 'name',
              render: (v, r) => (
                <Space size={4}>
                  <Typography.Link onClick={() => navigate(`/rules/${r.id}`)} data-testid="rule-link">
                    {v}
                  </Typography.Link>
                  {r.regex_health && (
                    <Tooltip title={regexHealthText(r.regex_health, t)}>
                      <Tag color="warning" data-testid="regex-health">
                        {t('rules.regexWarn', { n: r.regex_health.timeouts + r.regex_health.budget_skips })}
                      </Tag>
                    </Tooltip>
                  )}
                </Space>
              ),
            },
            { title: t('rules.kind'), dataIndex: 'kind', width: 110, responsive: ['md'], render: (v) => t(`kind.${v}`) },
            {
              title: t('rules.match'),
              dataIndex: 'match',
              ellipsis: true,
              responsive: ['lg'],
              render: (m) => (
                <Tooltip title={matchSummary(m, t)}>
                  <span>{matchSummary(m, t) || '—'}</span>
                </Tooltip>
              ),
            },
            {
              title: t('rules.status'),
              width: 150,
              render: (_, r) => (
                <Space size={4}>
                  <Switch size="small" checked={r.enabled} disabled={!can('rules:write')} onChange={(v) => toggle(r, v)} aria-label={t('rules.enabled')} />
                  {r.status === 'draft' ? <Tag color="gold">{t('rules.draft')}</Tag> : <Tag color={r.enabled ? 'green' : 'default'}>{r.enabled ? t('rules.live') : t('rules.off')}</Tag>}
                </Space>
              ),
            },
            { title: t('rules.priority'), dataIndex: 'priority', width: 80, responsive: ['sm'], sorter: (a, b) => a.priority - b.priority },
            { title: t('rules.hits'), dataIndex: 'hit_count', width: 80, sorter: (a, b) => a.hit_count - b.hit_count },
            {
              title: '',
              width: 70,
              render: (_, r) =>
                can('rules:write') && (
                  <Popconfirm
                    title={t('rules.deleteConfirm', { name: r.name })}
                    onConfirm={async () => {
                      await del(`/api/rules/${r.id}`);
                      await load();
                    }}
                  >
                    <Button size="small" danger type="text">
                      {t('common.delete')}
                    </Button>
                  </Popconfirm>
                ),
            },
          ]}
        />
      </Card>
      {rules && rules.length > 0 && (
        <Card size="small" title={t('rules.topHits')}>
          <EChart option={option} height={Math.max(160, top.length * 28)} label={t('rules.topHits')} />
        </Card>
      )}
    </Space>
  );
}
