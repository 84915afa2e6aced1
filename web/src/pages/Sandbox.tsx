/**
 * 测试沙盒: write as a customer and see what WeReply would answer, and why — nothing is stored or sent.
 */
import { useEffect, useRef, useState } from 'react';
import { Alert, App as AntApp, Button, Card, Col, Collapse, Descriptions, Form, Input, Row, Select, Space, Switch, Tag, Typography } from 'antd';
import { SendOutlined } from '@ant-design/icons';
import { get, post } from '../api';
import { scanText, type Finding } from '../compliance';
import { ReplyView } from '../components/Reply';
import { FindingList } from '../components/RiskTextArea';
import { useI18n } from '../i18n';

interface Trace {
  normalized_text: string;
  at: string;
  test_account: boolean;
  matched: { rule_id: number; name: string; keyword: string | null; kind: string }[];
  replies: { rule_id: number; reply: any; compliance?: { held: boolean; reason: string | null; findings: Finding[] } }[];
  skipped: { rule: { id: number; name: string }; reason: string; detail: string }[];
  routing: any;
  handoff: any;
  /** Where people would answer after 转人工, and which setting decided. */
  desk?: { desk: 'wecom' | 'wereply'; reason: string };
  /** A person holds the customer's conversation: the real pipeline sends none of these replies. */
  held_by?: string | null;
  conversation?: { id: number; reply_options: { desk: string; can_reply: boolean; reason: string | null; actions: string[] } } | null;
}
interface Turn {
  text: string;
  event?: string;
  trace?: Trace;
  findings?: Finding[] | null;
  error?: string;
}

/** Offset (ms) of `timeZone` from UTC at instant `utcMs`. */
function zoneOffset(utcMs: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(utcMs))
      .map((p) => [p.type, p.value]),
  );
  return Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!) - utcMs;
}

/** "2026-11-25T23:30" as wall-clock time in `timeZone` (the corp's), as an ISO instant. */
export function zonedToIso(local: string, timeZone: string): string {
  const [d, t = '00:00'] = local.split('T');
  const [y, mo, da] = d!.split('-').map(Number);
  const [h, mi] = t.split(':').map(Number);
  const wall = Date.UTC(y!, mo! - 1, da!, h!, mi!);
  const first = wall - zoneOffset(wall, timeZone);
  return new Date(wall - zoneOffset(first, timeZone)).toISOString();
}

export default function SandboxPage() {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [turns, setTurns] = useState<Turn[]>([]);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [customer, setCustomer] = useState('wmSandboxCustomer');
  const [testAccount, setTestAccount] = useState(false);
  const [at, setAt] = useState('');
  const [kf, setKf] = useState<string | undefined>(undefined);
  const [route, setRoute] = useState(false);
  const [accounts, setAccounts] = useState<string[]>([]);
  const [timezone, setTimezone] = useState('Asia/Shanghai');
  const end = useRef<HTMLDivElement>(null);

  useEffect(() => {
    get('/api/wecom/status')
      .then((s) => {
        setAccounts(s.kf_accounts ?? []);
        if (s.timezone) setTimezone(s.timezone);
      })
      .catch(() => undefined);
  }, []);
  useEffect(() => {
    const chat = end.current?.parentElement; // scroll the chat, not the page
    if (chat) chat.scrollTop = chat.scrollHeight;
  }, [turns]);

  const run = async (msg: string, event?: 'enter_session') => {
    if (!msg.trim() && !event) return;
    setBusy(true);
    const turn: Turn = { text: msg, ...(event ? { event } : {}) };
    try {
      const body: any = { text: msg, external_userid: customer || 'wmSandboxCustomer', test_account: testAccount, route };
      if (event) body.event = event;
      if (at) body.at = zonedToIso(at, timezone);
      if (kf) body.open_kfid = kf;
      turn.trace = await post<Trace>('/api/simulate', body);
      // The server runs the outbox's final check on each reply; an older server does not, so scan here.
      if (turn.trace.replies.every((r) => r.compliance)) turn.findings = turn.trace.replies.flatMap((r) => r.compliance!.findings);
      else {
        const texts = turn.trace.replies.map((r) => r.reply?.text).filter(Boolean).join('\n');
        turn.findings = texts ? await scanText(texts) : [];
      }
    } catch (e) {
      turn.error = (e as Error).message;
    }
    setTurns((x) => [...x, turn]);
    setText('');
    setBusy(false);
  };

  return (
    <Row gutter={[12, 12]}>
      <Col xs={24} lg={8} xl={7}>
        <Card size="small" title={t('sandbox.settings')}>
          <Form layout="vertical">
            <Form.Item label={t('sandbox.customer')} htmlFor="sb-customer" extra={t('sandbox.customerHelp')}>
              <Input id="sb-customer" value={customer} onChange={(e) => setCustomer(e.target.value)} />
            </Form.Item>
            <Form.Item label={t('sandbox.testAccount')} extra={t('sandbox.testAccountHelp')}>
              <Switch checked={testAccount} onChange={setTestAccount} aria-label={t('sandbox.testAccount')} data-testid="test-account" />
            </Form.Item>
            <Form.Item label={t('sandbox.time', { tz: timezone })} htmlFor="sb-time" extra={t('sandbox.timeHelp')}>
              <Input id="sb-time" type="datetime-local" value={at} onChange={(e) => setAt(e.target.value)} />
            </Form.Item>
            <Form.Item label={t('sandbox.kf')} htmlFor="sb-kf">
              <Select id="sb-kf" allowClear value={kf} onChange={setKf} placeholder={t('sandbox.kfAny')} options={accounts.map((a) => ({ value: a, label: a }))} />
            </Form.Item>
            <Form.Item label={t('sandbox.route')} extra={t('sandbox.routeHelp')}>
              <Switch checked={route} onChange={setRoute} aria-label={t('sandbox.route')} />
            </Form.Item>
            <Space wrap>
              <Button onClick={() => run('', 'enter_session')}>{t('sandbox.enter')}</Button>
              <Button onClick={() => setTurns([])}>{t('sandbox.clear')}</Button>
            </Space>
          </Form>
        </Card>
      </Col>
      <Col xs={24} lg={16} xl={17}>
        <Card size="small" title={t('sandbox.chat')} extra={<Tag>{t('sandbox.nothingSent')}</Tag>}>
          <div className="chat" aria-live="polite" data-testid="sandbox-chat">
            {turns.length === 0 && <Typography.Text type="secondary">{t('sandbox.empty')}</Typography.Text>}
            {turns.map((turn, i) => (
              <div key={i}>
                <div className="bubble-row me">
                  <div className="bubble">{turn.event ? <i>{t('sandbox.entered')}</i> : turn.text}</div>
                </div>
                {turn.error && <Alert type="error" showIcon title={turn.error} />}
                {turn.trace?.replies.map((r, j) => (
                  <div className="bubble-row" key={j} style={{ marginTop: 8 }}>
                    <div>
                      <div className="bubble" data-testid="sandbox-reply">
                        <ReplyView item={r.reply} />
                      </div>
                      {r.compliance?.held && (
                        <div className="bubble-meta">
                          <Tag color="volcano">{t('sandbox.held')}</Tag>
                          {r.compliance.reason}
                        </div>
                      )}
                    </div>
                  </div>
                ))}
                {turn.trace && turn.trace.replies.length === 0 && (
                  <div className="bubble-row event">
                    <div className="bubble">{t('sandbox.noReply')}</div>
                  </div>
                )}
                {turn.trace && <TraceView trace={turn.trace} findings={turn.findings ?? null} timezone={timezone} />}
              </div>
            ))}
            <div ref={end} />
          </div>
          <Space.Compact style={{ width: '100%', marginTop: 12 }}>
            <Input
              aria-label={t('sandbox.input')}
              placeholder={t('sandbox.input')}
              value={text}
              onChange={(e) => setText(e.target.value)}
              onPressEnter={() => run(text)}
              disabled={busy}
              data-testid="sandbox-input"
            />
            <Button type="primary" icon={<SendOutlined />} loading={busy} onClick={() => run(text)}>
              {t('sandbox.send')}
            </Button>
          </Space.Compact>
        </Card>
      </Col>
    </Row>
  );
}

function TraceView({ trace, findings, timezone }: { trace: Trace; findings: Finding[] | null; timezone: string }) {
  const { t } = useI18n();
  const r = trace.routing;
  const items = [
    {
      key: 'matched',
      label: `${t('trace.matched')} (${trace.matched.length})`,
      children: trace.matched.length ? (
        <ul className="trace-list">
          {trace.matched.map((m) => (
            <li key={m.rule_id}>
              <b>#{m.rule_id} {m.name}</b> · {t(`match.${m.kind}`)}
              {m.keyword && (
                <>
                  {' '}
                  · {t('trace.keyword')} <Tag color="green">{m.keyword}</Tag>
                </>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <Typography.Text type="secondary">{t('trace.noMatch')}</Typography.Text>
      ),
    },
    {
      key: 'skipped',
      label: `${t('trace.skipped')} (${trace.skipped.length})`,
      children: trace.skipped.length ? (
        <ul className="trace-list">
          {trace.skipped.map((s, i) => (
            <li key={i}>
              #{s.rule.id} {s.rule.name} — <Tag>{t(`skip.${s.reason}`)}</Tag> {s.detail}
            </li>
          ))}
        </ul>
      ) : (
        <Typography.Text type="secondary">—</Typography.Text>
      ),
    },
    {
      key: 'routing',
      label: t('trace.routing'),
      children: (
        <>
          {trace.held_by && <Alert type="warning" showIcon style={{ marginBottom: 8 }} title={trace.held_by} data-testid="sandbox-held" />}
          {trace.desk && (
            <Descriptions size="small" column={1} bordered style={{ marginBottom: 8 }}>
              <Descriptions.Item label={t('desk.settings')}>
                <Tag color={trace.desk.desk === 'wereply' ? 'geekblue' : 'purple'} data-testid="sandbox-desk">{t(`desk.${trace.desk.desk}`)}</Tag> {trace.desk.reason}
              </Descriptions.Item>
              {trace.conversation && (
                <Descriptions.Item label={t('desk.agentCan')}>
                  {trace.conversation.reply_options.actions.length ? trace.conversation.reply_options.actions.map((a) => <Tag key={a}>{t(`desk.action.${a}`)}</Tag>) : '—'}
                  {!trace.conversation.reply_options.can_reply && trace.conversation.reply_options.reason && <div style={{ fontSize: 12, color: '#888' }}>{trace.conversation.reply_options.reason}</div>}
                </Descriptions.Item>
              )}
            </Descriptions>
          )}
          {trace.handoff && (
            <Descriptions size="small" column={1} bordered>
              <Descriptions.Item label={t('trace.handoff')}>
                {t(`handoff.${trace.handoff.reason}`)} {trace.handoff.detail}
              </Descriptions.Item>
            </Descriptions>
          )}
          {r ? (
            <Descriptions size="small" column={1} bordered style={{ marginTop: 8 }}>
              <Descriptions.Item label={t('trace.branch')}>{(r.branch?.path ?? []).map((p: any) => p.name).join(' › ') || '—'}</Descriptions.Item>
              <Descriptions.Item label={t('trace.decision')}>{r.pool ? <Tag color="orange">{t('trace.pool')}</Tag> : r.chosen ? <Tag color="blue">{r.chosen}</Tag> : '—'} {r.reason}</Descriptions.Item>
              {Array.isArray(r.candidates) && r.candidates.length > 0 && (
                <Descriptions.Item label={t('trace.candidates')}>
                  {r.candidates.map((c: any, i: number) => (
                    <div key={i}>
                      {c.userid} {c.group ? `(${c.group})` : ''} — {c.eligible ? <Tag color="green">{t('trace.eligible')}</Tag> : <Tag>{c.reason}</Tag>}
                    </div>
                  ))}
                </Descriptions.Item>
              )}
            </Descriptions>
          ) : (
            !trace.handoff && <Typography.Text type="secondary">{t('trace.noRouting')}</Typography.Text>
          )}
        </>
      ),
    },
    {
      key: 'compliance',
      label: `${t('trace.compliance')}${findings ? ` (${findings.length})` : ''}`,
      children: findings === null ? <Typography.Text type="secondary">{t('compliance.unavailable')}</Typography.Text> : <FindingList findings={findings} />,
    },
  ];
  return (
    <div style={{ marginTop: 8 }} data-testid="sandbox-trace">
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('trace.normalized')}: <code>{trace.normalized_text}</code> · {t('trace.at')}: {new Date(trace.at).toLocaleString(undefined, { timeZone: timezone })} ({timezone})
        {trace.test_account ? ` · ${t('sandbox.testAccount')}` : ''}
      </Typography.Text>
      <Collapse size="small" defaultActiveKey={['matched', 'skipped', 'routing']} items={items} style={{ background: '#fff' }} />
    </div>
  );
}
