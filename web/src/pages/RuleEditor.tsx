/**
 * 规则编辑器: every match kind and reply type of the rules API, active hours, priority, draft mode,
 * the any-message reply (收到消息回复) and the welcome message (欢迎语). Text replies are checked for
 * risk words while typing; broad keywords show the measured share of recent customer messages.
 * Ctrl/⌘+S saves.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { Alert, App as AntApp, Button, Card, Checkbox, Col, Divider, Form, Input, InputNumber, Modal, Radio, Row, Select, Space, Spin, Switch, Tag, Typography } from 'antd';
import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { ApiError, api, get, post } from '../api';
import { useAuth } from '../auth';
import type { Finding } from '../compliance';
import { FindingList, RiskInput, RiskTextArea } from '../components/RiskTextArea';
import { useI18n } from '../i18n';
import { regexHealthText, type Rule } from './Rules';

const MATCH_KINDS = ['exact', 'any', 'all', 'none', 'command', 'regex'] as const;
const REPLY_TYPES = ['text', 'image', 'video', 'file', 'link', 'miniprogram', 'menu', 'handoff'] as const;
const MAX_TEXT_BYTES = 2048;

interface Material {
  id: number;
  kind: string;
  filename: string;
}
interface Warning {
  keyword: string;
  field: string;
  reason: string;
  share?: number;
  sample_size?: number;
  suggestion?: string;
}

function toForm(r?: Rule) {
  if (!r) return { kind: 'keyword', status: 'live', enabled: true, stop: true, priority: 0, match: {}, reply: [{ type: 'text', text: '' }], ah_enabled: false, active_hours: { weekdays: [1, 2, 3, 4, 5], ranges: [{ start: '09:00', end: '18:00' }] } };
  return {
    ...r,
    match: r.match ?? {},
    reply: r.reply.map((x) => ({ ...x, route_kind: x.route?.servicer ? 'servicer' : x.route?.group ? 'group' : 'auto', route_value: x.route?.servicer ?? x.route?.group })),
    ah_enabled: !!r.active_hours,
    active_hours: r.active_hours ?? { weekdays: [1, 2, 3, 4, 5], ranges: [{ start: '09:00', end: '18:00' }] },
  };
}

function clean(obj: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  return out;
}

function toBody(v: any) {
  const reply = (v.reply ?? []).map((x: any) => {
    const { route_kind, route_value, ...rest } = x;
    const item: any = clean(rest);
    if (x.type === 'handoff') {
      delete item.text;
      if (route_kind && route_kind !== 'auto' && route_value) item.route = { [route_kind]: route_value };
    }
    if (x.type === 'menu') item.items = (x.items ?? []).map((m: any) => clean(m));
    return item;
  });
  const match = v.kind === 'keyword' ? clean(v.match ?? {}) : undefined;
  const body: any = {
    name: v.name,
    kind: v.kind,
    reply,
    priority: v.priority ?? 0,
    stop: v.stop ?? true,
    enabled: v.enabled ?? true,
    status: v.status ?? 'live',
    active_hours: v.ah_enabled ? clean({ ...v.active_hours, ranges: v.active_hours?.ranges ?? [], invert: v.active_hours?.invert || undefined }) : null,
  };
  // The API accepts a cooldown on any-message rules only.
  if (v.kind === 'any_message') body.cooldown_seconds = v.cooldown_seconds ?? null;
  if (match) body.match = match;
  return body;
}

/** "reply[0].text" → ['reply', 0, 'text'] for Form.setFields. */
function fieldPath(field: string): (string | number)[] {
  return field.split(/\.|\[(\d+)\]/).filter((x) => x !== undefined && x !== '').map((x) => (/^\d+$/.test(x) ? Number(x) : x));
}

export default function RuleEditorPage() {
  const { id } = useParams();
  const isNew = !id || id === 'new';
  const { t } = useI18n();
  const { can } = useAuth();
  const { message, notification } = AntApp.useApp();
  const navigate = useNavigate();
  const [form] = Form.useForm();
  const [loaded, setLoaded] = useState(isNew);
  const [regexHealth, setRegexHealth] = useState<Rule['regex_health']>(null);
  const [materials, setMaterials] = useState<Material[]>([]);
  const [groups, setGroups] = useState<{ id: string; name: string }[]>([]);
  const [servicers, setServicers] = useState<{ userid: string; name: string }[]>([]);
  const [warnings, setWarnings] = useState<Warning[]>([]);
  const [sample, setSample] = useState(0);
  const [saving, setSaving] = useState(false);
  const [refused, setRefused] = useState<{ message: string; findings: Finding[] } | null>(null);
  const [overrideReason, setOverrideReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const kind = Form.useWatch('kind', form);
  const ahEnabled = Form.useWatch('ah_enabled', form);
  const match = Form.useWatch('match', form);

  useEffect(() => {
    get<Material[]>('/api/materials').then(setMaterials).catch(() => undefined);
    get('/api/routing').then((r) => setGroups(r.config?.groups ?? [])).catch(() => undefined);
    get('/api/servicers').then(setServicers).catch(() => undefined);
    if (!isNew) {
      get<Rule>(`/api/rules/${id}`)
        .then((r) => {
          form.setFieldsValue(toForm(r));
          setRegexHealth(r.regex_health ?? null);
          setLoaded(true);
        })
        .catch((e) => setError(e.message));
    } else form.setFieldsValue(toForm());
  }, [id]);

  // Broad-keyword warnings with the measured share, while typing keywords.
  const matchKey = JSON.stringify({ any: match?.any ?? [], all: match?.all ?? [] });
  useEffect(() => {
    const m = JSON.parse(matchKey);
    if (kind !== 'keyword' || (!m.any.length && !m.all.length)) return setWarnings([]);
    const timer = setTimeout(() => {
      post<{ warnings: Warning[]; sample_size: number }>('/api/rules/broad-keywords', { match: clean(m) })
        .then((r) => {
          setWarnings(r.warnings);
          setSample(r.sample_size);
        })
        .catch(() => undefined);
    }, 400);
    return () => clearTimeout(timer);
  }, [matchKey, kind]);

  const save = async (override?: string) => {
    let values: any;
    try {
      values = await form.validateFields();
    } catch {
      return;
    }
    const body = toBody({ ...form.getFieldsValue(true), ...values });
    if (override) body.compliance_override = { reason: override };
    setSaving(true);
    setError(null);
    try {
      const saved = await api<any>(isNew ? 'POST' : 'PUT', isNew ? '/api/rules' : `/api/rules/${id}`, body);
      setRefused(null);
      const extra = [...(saved.warnings ?? []).map((w: Warning) => `${w.keyword}: ${w.reason}`), ...(saved.compliance_warnings ?? []).map((f: Finding) => `「${f.matched}」${f.reason}`)];
      message.success(t('editor.saved', { name: saved.name }));
      if (extra.length) notification.warning({ title: t('editor.savedWithWarnings'), description: extra.join('\n'), duration: 8 });
      navigate('/rules');
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        setRefused({ message: err.message, findings: err.body?.findings ?? [] });
      } else if (err instanceof ApiError && err.status === 400 && err.details.length) {
        form.setFields(err.details.map((d) => ({ name: fieldPath(d.field), errors: [d.message] })).filter((f) => f.name.length) as any);
        setError(err.message);
        window.scrollTo({ top: 0 });
      } else {
        setError((err as Error).message);
        window.scrollTo({ top: 0 });
      }
    } finally {
      setSaving(false);
    }
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
      e.preventDefault();
      void save();
    }
  };

  const materialOptions = (k: string) => materials.filter((m) => m.kind === k).map((m) => ({ value: m.id, label: `#${m.id} ${m.filename}` }));
  const readOnly = !can('rules:write');
  const weekdayOptions = useMemo(() => [1, 2, 3, 4, 5, 6, 7].map((d) => ({ value: d, label: t(`weekday.${d}`) })), [t]);

  if (error && !loaded) return <Alert type="error" title={error} showIcon />;
  if (!loaded) return <Spin />;

  return (
    <div onKeyDown={onKeyDown}>
      <Form form={form} layout="vertical" disabled={readOnly} onFinish={() => save()} aria-label={t('editor.title')} scrollToFirstError>
        <Card
          size="small"
          title={isNew ? t('editor.new') : t('editor.edit')}
          extra={
            <Space>
              <Button onClick={() => navigate('/rules')}>{t('common.cancel')}</Button>
              <Button type="primary" htmlType="submit" loading={saving} data-testid="save-rule">
                {t('common.save')}
              </Button>
            </Space>
          }
        >
          {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 12 }} role="alert" data-testid="save-error" />}
          <Row gutter={16}>
            <Col xs={24} md={12}>
              <Form.Item name="name" label={t('editor.name')} rules={[{ required: true, whitespace: true, message: t('editor.nameRequired') }, { max: 100 }]}>
                <Input placeholder={t('editor.namePlaceholder')} />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item name="kind" label={t('rules.kind')}>
                <Radio.Group optionType="button" options={['keyword', 'any_message', 'welcome'].map((k) => ({ value: k, label: t(`kind.${k}`) }))} />
              </Form.Item>
            </Col>
          </Row>
          {regexHealth && <Alert type="warning" showIcon style={{ marginBottom: 12 }} title={regexHealthText(regexHealth, t)} data-testid="regex-health" />}
          {kind === 'any_message' && <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('editor.anyMessageHelp')} />}
          {kind === 'welcome' && <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('editor.welcomeHelp')} />}

          {kind === 'keyword' && (
            <>
              <Divider titlePlacement="start" plain>
                {t('editor.match')}
              </Divider>
              <Typography.Paragraph type="secondary" style={{ marginTop: -8 }}>
                {t('editor.matchHelp')}
              </Typography.Paragraph>
              <Row gutter={16}>
                {MATCH_KINDS.map((k) => (
                  <Col xs={24} md={12} key={k}>
                    <Form.Item name={['match', k]} label={t(`match.${k}`)} extra={t(`match.${k}.help`)}>
                      <Select mode="tags" tokenSeparators={[',', '，', ' ']} open={false} suffixIcon={null} placeholder={t('editor.keywordPlaceholder')} aria-label={t(`match.${k}`)} data-testid={`match-${k}`} />
                    </Form.Item>
                  </Col>
                ))}
              </Row>
              {warnings.length > 0 && (
                <Alert
                  type="warning"
                  showIcon
                  style={{ marginBottom: 12 }}
                  data-testid="broad-warnings"
                  title={sample > 0 ? t('editor.broadTitle', { n: sample }) : t('editor.broadTitleNoSample')}
                  description={
                    <ul style={{ margin: 0, paddingLeft: 18 }}>
                      {warnings.map((w, i) => (
                        <li key={i}>
                          <Typography.Text strong>{w.keyword}</Typography.Text>
                          {w.share !== undefined && (w.sample_size ?? 0) > 0 && <Tag color="orange" style={{ marginLeft: 6 }}>{t('editor.hitRate', { pct: (w.share * 100).toFixed(1) })}</Tag>} {w.reason}
                          {w.suggestion && (
                            <>
                              {' '}
                              · {t('editor.tryInstead')} {w.suggestion}
                            </>
                          )}
                        </li>
                      ))}
                    </ul>
                  }
                />
              )}
            </>
          )}

          <Divider titlePlacement="start" plain>
            {t('editor.replies')}
          </Divider>
          <Form.List name="reply" rules={[{ validator: async (_, v) => (!v || v.length < 1 ? Promise.reject(new Error(t('editor.replyRequired'))) : undefined) }]}>
            {(fields, { add, remove, move }, { errors }) => (
              <Space direction="vertical" style={{ width: '100%' }}>
                {fields.map((field, index) => (
                  <Card
                    key={field.key}
                    size="small"
                    type="inner"
                    title={t('editor.replyN', { n: index + 1 })}
                    extra={
                      <Space size={0}>
                        <Button type="text" size="small" icon={<ArrowUpOutlined />} disabled={index === 0} onClick={() => move(index, index - 1)} aria-label={t('editor.moveUp')} />
                        <Button type="text" size="small" icon={<ArrowDownOutlined />} disabled={index === fields.length - 1} onClick={() => move(index, index + 1)} aria-label={t('editor.moveDown')} />
                        <Button type="text" size="small" danger icon={<DeleteOutlined />} disabled={fields.length === 1} onClick={() => remove(field.name)} aria-label={t('editor.removeReply')} />
                      </Space>
                    }
                  >
                    <Form.Item name={[field.name, 'type']} label={t('editor.replyType')} initialValue="text">
                      <Select options={REPLY_TYPES.map((x) => ({ value: x, label: t(`reply.type.${x}`) }))} style={{ maxWidth: 240 }} />
                    </Form.Item>
                    <Form.Item noStyle shouldUpdate={(a, b) => a.reply?.[field.name]?.type !== b.reply?.[field.name]?.type}>
                      {() => <ReplyFields name={field.name} type={form.getFieldValue(['reply', field.name, 'type'])} materialOptions={materialOptions} groups={groups} servicers={servicers} />}
                    </Form.Item>
                  </Card>
                ))}
                <Form.ErrorList errors={errors} />
                {fields.length < 5 && (
                  <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ type: 'text', text: '' })}>
                    {t('editor.addReply')}
                  </Button>
                )}
              </Space>
            )}
          </Form.List>

          <Divider titlePlacement="start" plain>
            {t('editor.when')}
          </Divider>
          <Row gutter={16}>
            <Col xs={12} md={6}>
              <Form.Item name="priority" label={t('rules.priority')} extra={t('editor.priorityHelp')}>
                <InputNumber min={-1000000} max={1000000} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col xs={12} md={6}>
              <Form.Item name="stop" label={t('editor.stop')} valuePropName="checked" extra={t('editor.stopHelp')}>
                <Switch />
              </Form.Item>
            </Col>
            <Col xs={12} md={6}>
              <Form.Item name="status" label={t('editor.mode')} extra={t('editor.modeHelp')}>
                <Radio.Group
                  optionType="button"
                  options={[
                    { value: 'live', label: t('rules.live') },
                    { value: 'draft', label: t('rules.draft') },
                  ]}
                />
              </Form.Item>
            </Col>
            <Col xs={12} md={6}>
              <Form.Item name="enabled" label={t('rules.enabled')} valuePropName="checked">
                <Switch />
              </Form.Item>
            </Col>
            {kind === 'any_message' && (
              <Col xs={24} md={12}>
                <Form.Item name="cooldown_seconds" label={t('editor.cooldown')} extra={t('editor.cooldownHelp')}>
                  <InputNumber min={0} max={30 * 86400} addonAfter={t('common.seconds')} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            )}
          </Row>
          <Form.Item name="ah_enabled" valuePropName="checked" style={{ marginBottom: 8 }}>
            <Checkbox>{t('editor.activeHours')}</Checkbox>
          </Form.Item>
          {ahEnabled && (
            <Card size="small" type="inner">
              <Form.Item name={['active_hours', 'weekdays']} label={t('editor.weekdays')} rules={[{ required: true, type: 'array', min: 1, message: t('editor.weekdaysRequired') }]}>
                <Checkbox.Group options={weekdayOptions} />
              </Form.Item>
              <Form.List name={['active_hours', 'ranges']}>
                {(fields, { add, remove }) => (
                  <Form.Item label={t('editor.ranges')} extra={t('editor.rangesHelp')} required>
                    <Space direction="vertical">
                      {fields.map((f) => (
                        <Space key={f.key} align="baseline" wrap>
                          <Form.Item name={[f.name, 'start']} noStyle rules={[{ required: true, pattern: /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, message: 'HH:MM' }]}>
                            <Input style={{ width: 90 }} placeholder="09:00" aria-label={t('editor.rangeStart')} />
                          </Form.Item>
                          <span>–</span>
                          <Form.Item name={[f.name, 'end']} noStyle rules={[{ required: true, pattern: /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, message: 'HH:MM' }]}>
                            <Input style={{ width: 90 }} placeholder="18:00" aria-label={t('editor.rangeEnd')} />
                          </Form.Item>
                          <Button type="text" danger icon={<DeleteOutlined />} onClick={() => remove(f.name)} aria-label={t('common.delete')} disabled={fields.length === 1} />
                        </Space>
                      ))}
                      <Button size="small" type="dashed" icon={<PlusOutlined />} onClick={() => add({ start: '09:00', end: '18:00' })}>
                        {t('editor.addRange')}
                      </Button>
                    </Space>
                  </Form.Item>
                )}
              </Form.List>
              <Row gutter={16}>
                <Col xs={24} md={12}>
                  <Form.Item name={['active_hours', 'timezone']} label={t('editor.timezone')} extra={t('editor.timezoneHelp')}>
                    <Input placeholder="Asia/Shanghai" />
                  </Form.Item>
                </Col>
                <Col xs={24} md={12}>
                  <Form.Item name={['active_hours', 'invert']} label={t('editor.invert')} valuePropName="checked" extra={t('editor.invertHelp')}>
                    <Switch />
                  </Form.Item>
                </Col>
              </Row>
            </Card>
          )}
          <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0, fontSize: 12 }}>
            {t('editor.keyboard')}
          </Typography.Paragraph>
        </Card>
      </Form>
      <Modal
        open={!!refused}
        title={t('editor.refusedTitle')}
        onCancel={() => setRefused(null)}
        footer={[
          <Button key="back" onClick={() => setRefused(null)}>
            {t('editor.backToEdit')}
          </Button>,
          can('compliance:override') && (
            <Button key="override" danger disabled={overrideReason.trim().length < 4} onClick={() => save(overrideReason.trim())}>
              {t('editor.overrideSave')}
            </Button>
          ),
        ]}
      >
        <div data-testid="refused">
          <Alert type="error" showIcon title={t('editor.refused')} description={refused?.message} style={{ marginBottom: 12 }} />
          <FindingList findings={refused?.findings ?? []} />
          {can('compliance:override') && (
            <Form.Item label={t('editor.overrideReason')} style={{ marginTop: 12 }} extra={t('editor.overrideHelp')}>
              <Input.TextArea value={overrideReason} onChange={(e) => setOverrideReason(e.target.value)} rows={2} />
            </Form.Item>
          )}
        </div>
      </Modal>
    </div>
  );
}

function ReplyFields({ name, type, materialOptions, groups, servicers }: { name: number; type: string; materialOptions: (k: string) => { value: number; label: string }[]; groups: { id: string; name: string }[]; servicers: { userid: string; name: string }[] }) {
  const { t } = useI18n();
  const req = { required: true, message: t('common.required') };
  switch (type) {
    case 'text':
      return (
        <Form.Item name={[name, 'text']} label={t('editor.text')} rules={[req, { validator: async (_, v) => (v && new TextEncoder().encode(v).length > MAX_TEXT_BYTES ? Promise.reject(new Error(t('editor.tooLong'))) : undefined) }]}>
          <RiskTextArea rows={3} maxBytes={MAX_TEXT_BYTES} placeholder={t('editor.textPlaceholder')} />
        </Form.Item>
      );
    case 'image':
    case 'video':
    case 'file':
      return (
        <Form.Item name={[name, 'material_id']} label={t('editor.material')} rules={[req]} extra={t('editor.materialHelp')}>
          <Select options={materialOptions(type)} placeholder={t('editor.pickMaterial')} showSearch={{ optionFilterProp: 'label' }} />
        </Form.Item>
      );
    case 'link':
      return (
        <Row gutter={12}>
          <Col xs={24} md={12}>
            <Form.Item name={[name, 'title']} label={t('editor.linkTitle')} rules={[req, { max: 128 }]}>
              <RiskInput />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name={[name, 'url']} label="URL" rules={[req, { type: 'url', message: t('editor.badUrl') }]}>
              <Input placeholder="https://" />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name={[name, 'desc']} label={t('editor.linkDesc')} rules={[{ max: 512 }]}>
              <RiskInput />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name={[name, 'thumb_material_id']} label={t('editor.thumb')} rules={[req]}>
              <Select options={materialOptions('image')} placeholder={t('editor.pickMaterial')} />
            </Form.Item>
          </Col>
        </Row>
      );
    case 'miniprogram':
      return (
        <Row gutter={12}>
          <Col xs={24} md={12}>
            <Form.Item name={[name, 'title']} label={t('editor.linkTitle')} rules={[req]}>
              <RiskInput />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name={[name, 'appid']} label="AppID" rules={[req]}>
              <Input placeholder="wx…" />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name={[name, 'pagepath']} label={t('editor.pagepath')} rules={[req]}>
              <Input placeholder="pages/index/index" />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name={[name, 'thumb_material_id']} label={t('editor.thumb')} rules={[req]}>
              <Select options={materialOptions('image')} placeholder={t('editor.pickMaterial')} />
            </Form.Item>
          </Col>
        </Row>
      );
    case 'menu':
      return (
        <>
          <Form.Item name={[name, 'head']} label={t('editor.menuHead')}>
            <RiskInput />
          </Form.Item>
          <Form.List name={[name, 'items']} initialValue={[{ type: 'click', content: '' }]}>
            {(fields, { add, remove }) => (
              <Form.Item label={t('editor.menuItems')} required>
                <Space direction="vertical" style={{ width: '100%' }}>
                  {fields.map((f) => (
                    <Space key={f.key} wrap align="baseline">
                      <Form.Item name={[f.name, 'type']} noStyle initialValue="click">
                        <Select style={{ width: 120 }} aria-label={t('editor.menuItemType')} options={['click', 'view', 'miniprogram', 'text'].map((x) => ({ value: x, label: t(`menu.${x}`) }))} />
                      </Form.Item>
                      <Form.Item name={[f.name, 'content']} noStyle rules={[req]}>
                        <RiskInput compact style={{ width: 160 }} placeholder={t('editor.menuContent')} aria-label={t('editor.menuContent')} />
                      </Form.Item>
                      <Form.Item noStyle shouldUpdate>
                        {({ getFieldValue }) => {
                          const it = getFieldValue(['reply', name, 'items', f.name, 'type']);
                          if (it === 'view') return <Form.Item name={[f.name, 'url']} noStyle rules={[req]}><Input style={{ width: 220 }} placeholder="https://" aria-label="URL" /></Form.Item>;
                          if (it === 'miniprogram')
                            return (
                              <>
                                <Form.Item name={[f.name, 'appid']} noStyle rules={[req]}><Input style={{ width: 120 }} placeholder="AppID" aria-label="AppID" /></Form.Item>
                                <Form.Item name={[f.name, 'pagepath']} noStyle rules={[req]}><Input style={{ width: 160 }} placeholder={t('editor.pagepath')} aria-label={t('editor.pagepath')} /></Form.Item>
                              </>
                            );
                          if (it === 'click') return <Form.Item name={[f.name, 'id']} noStyle><Input style={{ width: 120 }} placeholder={t('editor.menuId')} aria-label={t('editor.menuId')} /></Form.Item>;
                          return null;
                        }}
                      </Form.Item>
                      <Button type="text" danger icon={<DeleteOutlined />} onClick={() => remove(f.name)} aria-label={t('common.delete')} disabled={fields.length === 1} />
                    </Space>
                  ))}
                  {fields.length < 10 && (
                    <Button size="small" type="dashed" icon={<PlusOutlined />} onClick={() => add({ type: 'click', content: '' })}>
                      {t('editor.addMenuItem')}
                    </Button>
                  )}
                </Space>
              </Form.Item>
            )}
          </Form.List>
          <Form.Item name={[name, 'tail']} label={t('editor.menuTail')}>
            <RiskInput />
          </Form.Item>
        </>
      );
    case 'handoff':
      return (
        <Space wrap align="start">
          <Form.Item name={[name, 'route_kind']} label={t('editor.handoffTo')} initialValue="auto">
            <Radio.Group
              options={[
                { value: 'auto', label: t('editor.routeAuto') },
                { value: 'group', label: t('editor.routeGroup') },
                { value: 'servicer', label: t('editor.routeServicer') },
              ]}
            />
          </Form.Item>
          <Form.Item noStyle shouldUpdate>
            {({ getFieldValue }) => {
              const k = getFieldValue(['reply', name, 'route_kind']);
              if (k === 'group') return <Form.Item name={[name, 'route_value']} label={t('editor.routeGroup')} rules={[req]}><Select style={{ minWidth: 180 }} options={groups.map((g) => ({ value: g.id, label: g.name }))} /></Form.Item>;
              if (k === 'servicer') return <Form.Item name={[name, 'route_value']} label={t('editor.routeServicer')} rules={[req]}><Select style={{ minWidth: 180 }} options={servicers.map((s) => ({ value: s.userid, label: `${s.name} (${s.userid})` }))} /></Form.Item>;
              return null;
            }}
          </Form.Item>
        </Space>
      );
    default:
      return null;
  }
}
