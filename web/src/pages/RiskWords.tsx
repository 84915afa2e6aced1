/**
 * 合规词库: the risk-word library as the organisation sees it (shipped entries, shipped entries it
 * edited, its own words), with filters, counts per category, add / edit / switch off / delete or
 * restore, a 试一试 box that checks a text against the library as it is now, and Excel/CSV import
 * (checked first, then confirmed) and export. Write controls need `compliance:write`.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, App as AntApp, AutoComplete, Button, Card, Col, Dropdown, Form, Input, Modal, Popconfirm, Radio, Row, Select, Space, Switch, Table, Tag, Tooltip, Typography, Upload } from 'antd';
import { DownloadOutlined, PlusOutlined, UploadOutlined } from '@ant-design/icons';
import { api, ApiError, del, download, get, patch, post } from '../api';
import { RiskTextArea } from '../components/RiskTextArea';
import { useAuth } from '../auth';
import { useI18n } from '../i18n';

export interface RiskWord {
  id: string;
  word: string;
  category: string;
  severity: 'block' | 'warn';
  reason: string;
  suggestions: string[];
  allow?: string[];
  enabled: boolean;
  origin: 'shipped' | 'shipped_edited' | 'own';
}

/** The shipped categories (the API accepts any other name as the organisation's own). */
export const RISK_CATEGORIES = ['绝对化用语', '虚假承诺', '医疗功效', '金融收益', '诱导分享', '迷信', '价格欺诈'];
const ORIGINS = ['shipped', 'shipped_edited', 'own'] as const;
const EDITABLE = ['word', 'category', 'severity', 'reason', 'suggestions', 'allow'] as const;
type Editable = Pick<RiskWord, (typeof EDITABLE)[number]>;

const wordPath = (id: string) => `/api/compliance/words/${encodeURIComponent(id)}`;

export function SeverityTag({ severity }: { severity: string }) {
  const { t } = useI18n();
  return <Tag color={severity === 'block' ? 'red' : 'orange'}>{t(`words.severity.${severity}`)}</Tag>;
}

export default function RiskWordsPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const { message } = AntApp.useApp();
  const writable = can('compliance:write');
  const [all, setAll] = useState<RiskWord[] | null>(null);
  const [rows, setRows] = useState<RiskWord[] | null>(null);
  const [q, setQ] = useState('');
  const [category, setCategory] = useState('');
  const [severity, setSeverity] = useState('');
  const [origin, setOrigin] = useState('');
  /** Bumped whenever the library changes, so the 试一试 box checks its text again. */
  const [version, setVersion] = useState(0);
  const [tryText, setTryText] = useState('');
  const [editing, setEditing] = useState<RiskWord | 'new' | null>(null);
  const [importing, setImporting] = useState(false);
  const seq = useRef(0);

  const query = useMemo(() => {
    const p = new URLSearchParams();
    if (q.trim()) p.set('q', q.trim());
    if (category) p.set('category', category);
    if (severity) p.set('severity', severity);
    if (origin) p.set('origin', origin);
    return p.toString();
  }, [q, category, severity, origin]);

  const loadAll = () =>
    get<RiskWord[]>('/api/compliance/words')
      .then(setAll)
      .catch((e) => message.error(e.message));

  // The table asks the server with the filters (the search 250 ms after the last key).
  useEffect(() => {
    const n = ++seq.current;
    const timer = setTimeout(
      () => {
        get<RiskWord[]>(`/api/compliance/words${query ? `?${query}` : ''}`)
          .then((r) => n === seq.current && setRows(r))
          .catch((e) => message.error(e.message));
      },
      q ? 250 : 0,
    );
    return () => clearTimeout(timer);
  }, [query, version]);
  useEffect(() => {
    void loadAll();
  }, [version]);

  const changed = () => setVersion((v) => v + 1);

  const counts = useMemo(() => {
    const by = new Map<string, { n: number; block: number }>();
    for (const c of RISK_CATEGORIES) by.set(c, { n: 0, block: 0 });
    for (const w of all ?? []) {
      const c = by.get(w.category) ?? { n: 0, block: 0 };
      c.n++;
      if (w.severity === 'block') c.block++;
      by.set(w.category, c);
    }
    return [...by.entries()];
  }, [all]);
  const categories = counts.map(([c]) => c);

  const toggle = async (w: RiskWord, enabled: boolean) => {
    try {
      await patch(wordPath(w.id), { enabled });
      changed();
    } catch (e) {
      message.error((e as Error).message);
    }
  };
  const remove = async (w: RiskWord) => {
    try {
      await del(wordPath(w.id));
      message.success(t(w.origin === 'own' ? 'words.deleted' : 'words.restored', { word: w.word }));
      changed();
    } catch (e) {
      message.error((e as Error).message);
    }
  };
  const exportAs = async (format: 'xlsx' | 'csv', encoding: 'utf-8' | 'gbk') => {
    try {
      const name = await download(`/api/compliance/words/export?format=${format}&encoding=${encoding}&headers=zh`, `risk-words.${format}`);
      message.success(t('words.exported', { name }));
    } catch (e) {
      message.error((e as Error).message);
    }
  };

  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }}>
      <Row gutter={[12, 12]}>
        <Col xs={24} lg={12}>
          <Card size="small" title={t('words.counts')} style={{ height: '100%' }}>
            <div className="category-counts" data-testid="category-counts">
              {counts.map(([c, n]) => (
                <Button
                  key={c}
                  size="small"
                  type={category === c ? 'primary' : 'default'}
                  aria-pressed={category === c}
                  title={t('words.countOf', { category: c, n: n.n, block: n.block })}
                  onClick={() => setCategory(category === c ? '' : c)}
                >
                  {c} <b>{n.n}</b>
                </Button>
              ))}
            </div>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {all && t('words.countsTotal', { n: all.length, on: all.filter((w) => w.enabled).length })}
            </Typography.Text>
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card size="small" title={<label htmlFor="try-text">{t('words.try')}</label>} data-testid="try-it">
            <RiskTextArea id="try-text" value={tryText} onChange={setTryText} rows={2} scanVersion={version} placeholder={t('words.tryPlaceholder')} aria-label={t('words.tryLabel')} />
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('words.tryHelp')}
            </Typography.Text>
          </Card>
        </Col>
      </Row>
      <Card size="small">
        {!writable && <Alert type="info" showIcon title={t('words.readOnly')} style={{ marginBottom: 12 }} />}
        <div className="toolbar">
          <Input.Search allowClear placeholder={t('words.search')} aria-label={t('words.search')} value={q} onChange={(e) => setQ(e.target.value)} style={{ maxWidth: 240 }} />
          <Select
            aria-label={t('words.category')}
            value={category}
            onChange={setCategory}
            style={{ width: 140 }}
            options={[{ value: '', label: t('words.allCategories') }, ...categories.map((c) => ({ value: c, label: c }))]}
          />
          <Select
            aria-label={t('words.severity')}
            value={severity}
            onChange={setSeverity}
            style={{ width: 120 }}
            options={[{ value: '', label: t('words.allSeverities') }, ...['block', 'warn'].map((v) => ({ value: v, label: t(`words.severity.${v}`) }))]}
          />
          <Select
            aria-label={t('words.origin')}
            value={origin}
            onChange={setOrigin}
            style={{ width: 150 }}
            options={[{ value: '', label: t('words.allOrigins') }, ...ORIGINS.map((v) => ({ value: v, label: t(`words.origin.${v}`) }))]}
          />
          <span className="grow" />
          <Dropdown
            trigger={['click']}
            menu={{
              items: [
                { key: 'xlsx', label: t('words.exportXlsx'), onClick: () => exportAs('xlsx', 'utf-8') },
                { key: 'csv', label: t('words.exportCsv'), onClick: () => exportAs('csv', 'utf-8') },
                { key: 'gbk', label: t('words.exportCsvGbk'), onClick: () => exportAs('csv', 'gbk') },
              ],
            }}
          >
            <Button icon={<DownloadOutlined />}>{t('words.export')}</Button>
          </Dropdown>
          {writable && (
            <>
              <Button icon={<UploadOutlined />} onClick={() => setImporting(true)}>
                {t('words.import')}
              </Button>
              <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
                {t('words.add')}
              </Button>
            </>
          )}
        </div>
        <Table<RiskWord>
          rowKey="id"
          size="small"
          loading={!rows}
          dataSource={rows ?? []}
          pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: false, showTotal: (n) => t('words.shown', { n }) }}
          scroll={{ x: 'max-content' }}
          rowClassName={(w) => (w.enabled ? '' : 'row-disabled')}
          columns={[
            {
              title: t('words.word'),
              dataIndex: 'word',
              render: (v: string, w) => (
                <span data-testid="word">
                  <Typography.Text strong>{v}</Typography.Text>
                  {w.allow?.length ? (
                    <Tooltip title={`${t('words.allow')}: ${w.allow.join(' / ')}`}>
                      <Typography.Text type="secondary" style={{ fontSize: 12, marginLeft: 6 }}>
                        +{w.allow.length}
                      </Typography.Text>
                    </Tooltip>
                  ) : null}
                </span>
              ),
            },
            { title: t('words.category'), dataIndex: 'category', width: 100, responsive: ['md'] },
            { title: t('words.severity'), dataIndex: 'severity', width: 70, render: (v) => <SeverityTag severity={v} /> },
            {
              title: t('words.reason'),
              dataIndex: 'reason',
              responsive: ['lg'],
              render: (v: string) => (
                <Typography.Paragraph ellipsis={{ rows: 2, tooltip: v }} style={{ margin: 0, maxWidth: 320 }}>
                  {v}
                </Typography.Paragraph>
              ),
            },
            { title: t('words.suggestions'), dataIndex: 'suggestions', responsive: ['xl'], render: (v: string[]) => (v.length ? v.slice(0, 3).join(' / ') + (v.length > 3 ? ' …' : '') : '—') },
            {
              title: t('words.origin'),
              dataIndex: 'origin',
              width: 110,
              responsive: ['sm'],
              render: (v: string) => <Tag color={v === 'own' ? 'blue' : v === 'shipped_edited' ? 'gold' : 'default'}>{t(`words.origin.${v}`)}</Tag>,
            },
            {
              title: t('words.enabled'),
              dataIndex: 'enabled',
              width: 60,
              render: (v: boolean, w) => <Switch size="small" checked={v} disabled={!writable} onChange={(on) => toggle(w, on)} aria-label={t('words.enabledFor', { word: w.word })} />,
            },
            ...(writable
              ? [
                  {
                    title: '',
                    key: 'actions',
                    render: (_: unknown, w: RiskWord) => (
                      <Space size={0}>
                        <Button size="small" type="link" onClick={() => setEditing(w)} aria-label={`${t('words.edit')} ${w.word}`}>
                          {t('words.edit')}
                        </Button>
                        {w.origin !== 'shipped' && (
                          <Popconfirm
                            title={t(w.origin === 'own' ? 'words.deleteConfirm' : 'words.restoreConfirm', { word: w.word })}
                            onConfirm={() => remove(w)}
                            okText={t(w.origin === 'own' ? 'words.delete' : 'words.restore')}
                            cancelText={t('common.cancel')}
                          >
                            <Button size="small" type="link" danger={w.origin === 'own'} aria-label={`${t(w.origin === 'own' ? 'words.delete' : 'words.restore')} ${w.word}`}>
                              {t(w.origin === 'own' ? 'words.delete' : 'words.restore')}
                            </Button>
                          </Popconfirm>
                        )}
                      </Space>
                    ),
                  },
                ]
              : []),
          ]}
        />
      </Card>
      {editing && (
        <WordEditor
          word={editing === 'new' ? null : editing}
          categories={categories}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            changed();
          }}
        />
      )}
      {importing && (
        <ImportDialog
          onClose={() => setImporting(false)}
          onImported={() => {
            setImporting(false);
            changed();
          }}
        />
      )}
    </Space>
  );
}

/** The fields of `next` that differ from `before` (a shipped entry keeps only what was changed). */
function changedFields(before: Editable, next: Editable): Partial<Editable> {
  const out: Record<string, unknown> = {};
  for (const k of EDITABLE) {
    const a = k === 'allow' || k === 'suggestions' ? (before[k] ?? []) : before[k];
    if (JSON.stringify(a) !== JSON.stringify(next[k])) out[k] = next[k];
  }
  return out;
}

function WordEditor({ word, categories, onClose, onSaved }: { word: RiskWord | null; categories: string[]; onClose(): void; onSaved(): void }) {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm<Editable>();
  const [saving, setSaving] = useState(false);
  const initial: Editable = word
    ? { word: word.word, category: word.category, severity: word.severity, reason: word.reason, suggestions: word.suggestions ?? [], allow: word.allow ?? [] }
    : { word: '', category: '', severity: 'block', reason: '', suggestions: [], allow: [] };

  const save = async () => {
    let values: Editable;
    try {
      values = await form.validateFields();
    } catch {
      return;
    }
    const next: Editable = { ...values, word: values.word.trim(), reason: values.reason.trim(), category: values.category.trim(), suggestions: values.suggestions ?? [], allow: values.allow ?? [] };
    setSaving(true);
    try {
      if (!word) {
        await post('/api/compliance/words', next);
        message.success(t('words.added', { word: next.word }));
      } else {
        const body = changedFields(initial, next);
        if (!Object.keys(body).length) {
          message.info(t('words.noChange'));
          return onClose();
        }
        await patch(wordPath(word.id), body);
        message.success(t('words.saved', { word: next.word }));
      }
      onSaved();
    } catch (e) {
      // The server's field errors (400 details) are shown at the field they are about.
      const details = e instanceof ApiError ? e.details : [];
      const byField = new Map<string, string[]>();
      for (const d of details) {
        const field = d.field.replace(/^body\.?/, '').split(/[.[]/)[0]!;
        if (!(EDITABLE as readonly string[]).includes(field)) continue;
        byField.set(field, [...(byField.get(field) ?? []), d.message.replace(/^Row \d+:\s*/, '')]);
      }
      if (byField.size) form.setFields([...byField].map(([name, errors]) => ({ name: name as keyof Editable, errors })));
      else message.error((e as Error).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open
      title={word ? t('words.editTitle', { word: word.word }) : t('words.addTitle')}
      onCancel={onClose}
      onOk={save}
      okText={t('common.save')}
      cancelText={t('common.cancel')}
      confirmLoading={saving}
      destroyOnHidden
      width={560}
    >
      {word && word.origin !== 'own' && <Alert type="info" showIcon title={t('words.editShippedHelp')} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" initialValues={initial} requiredMark onFinish={save} name="risk-word">
        <Form.Item name="word" label={t('words.word')} extra={t('words.wordHelp')} rules={[{ required: true, whitespace: true, message: t('words.wordRequired') }]}>
          <Input maxLength={50} autoFocus />
        </Form.Item>
        <Form.Item name="category" label={t('words.category')} extra={t('words.categoryHelp')} rules={[{ required: true, whitespace: true, message: t('words.categoryRequired') }]}>
          <AutoComplete options={categories.map((c) => ({ value: c }))} maxLength={30} showSearch={{ filterOption: (input, o) => String(o?.value ?? '').includes(input) }} />
        </Form.Item>
        <Form.Item name="severity" label={t('words.severity')} extra={t('words.severity.blockHelp') + '；' + t('words.severity.warnHelp')} rules={[{ required: true }]}>
          <Radio.Group
            optionType="button"
            options={[
              { value: 'block', label: `${t('words.severity.block')} block` },
              { value: 'warn', label: `${t('words.severity.warn')} warn` },
            ]}
          />
        </Form.Item>
        <Form.Item name="reason" label={t('words.reason')} extra={t('words.reasonHelp')} rules={[{ required: true, whitespace: true, message: t('words.reasonRequired') }]}>
          <Input.TextArea rows={2} maxLength={300} />
        </Form.Item>
        <Form.Item name="suggestions" label={t('words.suggestions')} extra={t('words.suggestionsHelp')}>
          <Select mode="tags" open={false} suffixIcon={null} tokenSeparators={['｜', '|']} />
        </Form.Item>
        <Form.Item name="allow" label={t('words.allow')} extra={t('words.allowHelp')}>
          <Select mode="tags" open={false} suffixIcon={null} tokenSeparators={['｜', '|']} />
        </Form.Item>
        <button type="submit" hidden />
      </Form>
    </Modal>
  );
}

interface ImportPlan {
  rows: number;
  added: number;
  updated: number;
  unchanged: number;
  encoding: string;
}
interface RowProblem {
  row: number | null;
  field: string;
  message: string;
}

/** Upload → dry run ("将新增 N 条，更新 M 条") → confirm; a refused file lists every bad row. */
function ImportDialog({ onClose, onImported }: { onClose(): void; onImported(): void }) {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [plan, setPlan] = useState<ImportPlan | null>(null);
  const [problems, setProblems] = useState<RowProblem[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const send = (f: File, dryRun: boolean) => {
    const form = new FormData();
    form.append('file', f, f.name);
    return api<ImportPlan>('POST', `/api/compliance/words/import${dryRun ? '?dry_run=true' : ''}`, form);
  };
  const showError = (e: unknown) => {
    if (e instanceof ApiError && Array.isArray(e.body?.errors)) setProblems(e.body.errors);
    else if (e instanceof ApiError && e.details.length) setProblems(e.details.map((d) => ({ row: null, field: d.field, message: d.message })));
    else setError((e as Error).message);
  };

  const check = async (f: File) => {
    setFile(f);
    setPlan(null);
    setProblems(null);
    setError(null);
    setBusy(true);
    try {
      setPlan(await send(f, true));
    } catch (e) {
      showError(e);
    } finally {
      setBusy(false);
    }
  };
  const confirm = async () => {
    if (!file) return;
    setBusy(true);
    try {
      const r = await send(file, false);
      message.success(t('words.imported', { added: r.added, updated: r.updated }));
      onImported();
    } catch (e) {
      setPlan(null);
      showError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={t('words.importTitle')}
      onCancel={onClose}
      width={720}
      footer={[
        <Button key="cancel" onClick={onClose}>
          {t('common.cancel')}
        </Button>,
        <Button key="ok" type="primary" disabled={!plan || plan.added + plan.updated === 0} loading={busy && !!plan} onClick={confirm} data-testid="import-confirm">
          {t('words.importConfirm')}
        </Button>,
      ]}
    >
      <Typography.Paragraph type="secondary" style={{ fontSize: 13 }}>
        {t('words.importHelp')}
      </Typography.Paragraph>
      <Upload
        accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        maxCount={1}
        showUploadList={false}
        beforeUpload={(f) => {
          void check(f);
          return false;
        }}
      >
        <Button icon={<UploadOutlined />} loading={busy && !plan}>
          {t('words.importPick')}
        </Button>
      </Upload>
      <div style={{ marginTop: 12 }} aria-live="polite">
        {file && busy && !plan && !problems && <Typography.Text type="secondary">{t('words.importChecking', { name: file.name })}</Typography.Text>}
        {file && plan && (
          <Alert
            type="success"
            showIcon
            data-testid="import-plan"
            title={t('words.importPlan', { name: file.name, added: plan.added, updated: plan.updated })}
            description={t('words.importPlanDetail', { rows: plan.rows, unchanged: plan.unchanged, encoding: plan.encoding })}
          />
        )}
        {file && error && <Alert type="error" showIcon title={error} data-testid="import-error" />}
        {file && problems && (
          <div data-testid="import-problems">
            <Alert type="error" showIcon title={t('words.importRefused', { name: file.name })} style={{ marginBottom: 8 }} />
            <Table<RowProblem>
              size="small"
              rowKey={(p) => `${p.row}-${p.field}-${p.message}`}
              dataSource={problems}
              pagination={{ pageSize: 10, hideOnSinglePage: true }}
              columns={[
                { title: t('words.importRow'), dataIndex: 'row', width: 60, render: (v: number | null) => (v ? v : t('words.importFile')) },
                { title: t('words.importField'), dataIndex: 'field', width: 110 },
                { title: t('words.importProblem'), dataIndex: 'message', render: (v: string) => <span style={{ wordBreak: 'break-word' }}>{v}</span> },
              ]}
            />
          </div>
        )}
      </div>
    </Modal>
  );
}
