/**
 * 会话工作台: conversations update live (SSE), the history with media and reply states, the
 * assignment history, and the agent reply box with 二次确认 (a confirm dialog with the compliance
 * findings before anything is sent).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { Alert, App as AntApp, Badge, Button, Card, Empty, Input, List, Modal, Select, Space, Tabs, Tag, Timeline, Tooltip, Typography } from 'antd';
import { SendOutlined } from '@ant-design/icons';
import { ApiError, blobUrl, download, get, post, subscribe } from '../api';
import { useAuth } from '../auth';
import { scanText, type Finding } from '../compliance';
import { ReplyView } from '../components/Reply';
import { ServicerMessageLabel, type SentByFields } from '../components/ServicerMessage';
import { FindingList } from '../components/RiskTextArea';
import { useI18n } from '../i18n';
import { DeskStrip, useReasonText, useReplyOptions, WeComHolds } from './inbox/Desk';

interface Conversation {
  id: number;
  open_kfid: string;
  external_userid: string;
  customer_name: string | null;
  test_account: boolean;
  servicer_userid: string | null;
  servicer_name: string | null;
  desk: 'wecom' | 'wereply' | null;
  service_state: string | null;
  complaint: boolean;
  last_message: { text: string | null; msgtype: string; origin: number; at: number } | null;
  updated_at: number;
  pii_masked: boolean;
}
interface Item {
  kind: 'in' | 'out';
  id: number;
  at: number;
  origin: number | null;
  msgtype: string;
  text: string | null;
  media: any;
  /** The picture, voice note, video or file the customer sent (fetched with the token). */
  media_url?: string | null;
  event: string | null;
  matched_rules: { rule_id: number; name: string }[];
  payload: any;
  by: string;
  status: string | null;
  reason: string | null;
  sent_at: number | null;
}
interface Assignment {
  id: number;
  servicer_userid: string | null;
  servicer_name: string | null;
  kind: string;
  reason: string;
  follow_up: boolean;
  created_at: number;
}
interface SendAnswer {
  status: 'needs_confirmation' | 'queued';
  confirmation_token?: string;
  findings?: Finding[];
  pii?: { kind: string }[];
  needs_override?: boolean;
  hold_reason?: string | null;
  outbox_id?: number;
}

const STATE_COLORS: Record<string, string> = { bot: 'green', pool: 'orange', servicer: 'blue', ended: 'default', new: 'cyan' };
const OUT_COLORS: Record<string, string> = { sent: 'green', failed: 'red', held: 'volcano', pending: 'default', sending: 'processing', retry: 'orange', waiting_allowance: 'gold' };

export default function InboxPage() {
  const { id } = useParams();
  const current = id ? Number(id) : null;
  const navigate = useNavigate();
  const { t } = useI18n();
  const { can } = useAuth();
  const { message } = AntApp.useApp();
  const [list, setList] = useState<Conversation[] | null>(null);
  const [q, setQ] = useState('');
  const [state, setState] = useState<string>('all');
  const [items, setItems] = useState<Item[] | null>(null);
  const [masked, setMasked] = useState(false);
  const [assignments, setAssignments] = useState<Assignment[]>([]);
  const [live, setLive] = useState(false);
  const [draft, setDraft] = useState('');
  const [pending, setPending] = useState<{ text: string; findings: Finding[]; scanned: boolean; answer?: SendAnswer } | null>(null);
  const [override, setOverride] = useState('');
  const [sending, setSending] = useState(false);
  const [sendError, setSendError] = useState<string | null>(null);
  const [optionsVersion, setOptionsVersion] = useState(0);
  const [options, reloadOptions] = useReplyOptions(current, optionsVersion);
  const reasonText = useReasonText();
  const historyEnd = useRef<HTMLDivElement>(null);
  const currentRef = useRef(current);
  currentRef.current = current;
  const filters = useRef({ q, state });
  filters.current = { q, state };

  const loadList = useCallback(async () => {
    const params = new URLSearchParams();
    if (filters.current.q.trim()) params.set('q', filters.current.q.trim());
    if (filters.current.state !== 'all') params.set('state', filters.current.state);
    try {
      setList(await get<Conversation[]>(`/api/conversations?${params}`));
    } catch (e) {
      message.error((e as Error).message);
    }
  }, []);
  const loadConversation = useCallback(async (cid: number) => {
    try {
      const [h, a] = await Promise.all([get<{ items: Item[]; pii_masked: boolean }>(`/api/conversations/${cid}/messages`), get<Assignment[]>(`/api/conversations/${cid}/assignments`)]);
      if (currentRef.current !== cid) return;
      setOptionsVersion((n) => n + 1);
      setItems(h.items);
      setMasked(h.pii_masked);
      setAssignments(a);
    } catch (e) {
      message.error((e as Error).message);
    }
  }, []);

  useEffect(() => {
    void loadList();
  }, [q, state]);
  useEffect(() => {
    setItems(null);
    setSendError(null);
    if (current) void loadConversation(current);
  }, [current]);
  useEffect(() => {
    const chat = historyEnd.current?.parentElement; // scroll the history, not the page
    if (chat) chat.scrollTop = chat.scrollHeight;
  }, [items]);
  useEffect(
    () =>
      subscribe(
        '/api/conversations/events',
        (event, data) => {
          if (event !== 'change') return;
          void loadList();
          const cid = currentRef.current;
          if (cid && (!Array.isArray(data?.conversation_ids) || data.conversation_ids.includes(cid))) void loadConversation(cid);
        },
        setLive,
      ),
    [],
  );

  const conv = list?.find((c) => c.id === current) ?? null;

  /** 二次确认, always: the findings of the text are shown before anything is sent. */
  const startSend = async () => {
    if (!current || !draft.trim()) return;
    setSending(true);
    setSendError(null);
    try {
      const findings = await scanText(draft);
      setOverride('');
      setPending({ text: draft, findings: findings ?? [], scanned: findings !== null });
    } catch (e) {
      setSendError((e as Error).message);
    } finally {
      setSending(false);
    }
  };

  const confirmSend = async () => {
    if (!current || !pending) return;
    setSending(true);
    try {
      let answer = pending.answer;
      if (!answer) {
        answer = await post<SendAnswer>(`/api/conversations/${current}/messages`, { text: pending.text });
        if (answer.status === 'queued') return done();
        setPending({ ...pending, findings: answer.findings ?? pending.findings, answer });
        // Block findings need a written reason from someone allowed to override: ask for it first.
        if (answer.needs_override && override.trim().length < 4) return;
      }
      const body: any = { confirmation_token: answer.confirmation_token };
      if (answer.needs_override && override.trim()) body.override_reason = override.trim();
      await post(`/api/conversations/${current}/messages/confirm`, body);
      done();
    } catch (e) {
      const msg =
        e instanceof ApiError && e.status === 404 && /no route/.test(e.message)
          ? t('inbox.sendUnavailable')
          : e instanceof ApiError && e.body?.reason_code
            ? reasonText(e.body.reason_code, e.message, options?.holder?.name ?? options?.holder?.servicer_userid)
            : (e as Error).message;
      if (e instanceof ApiError && e.body?.reason_code) reloadOptions();
      message.error(msg);
      if (e instanceof ApiError && e.status !== 422) {
        setPending(null);
        setSendError(msg);
      }
    } finally {
      setSending(false);
    }
  };

  const done = () => {
    message.success(t('inbox.queued'));
    setPending(null);
    setDraft('');
    if (current) void loadConversation(current);
  };

  const blocked = !!pending && (pending.answer ? !!pending.answer.needs_override : pending.findings.some((f) => f.severity === 'block'));

  return (
    <div className="inbox">
      <Card size="small" title={<Space>{t('inbox.conversations')}<Badge status={live ? 'success' : 'default'} text={<span style={{ fontSize: 12 }}>{live ? t('inbox.live') : t('inbox.offline')}</span>} /></Space>} styles={{ body: { padding: 8 } }}>
        <Space.Compact style={{ width: '100%', marginBottom: 8 }}>
          <Input.Search allowClear placeholder={t('inbox.search')} aria-label={t('inbox.search')} onSearch={setQ} />
          <Select aria-label={t('inbox.state')} value={state} onChange={setState} style={{ width: 110 }} options={['all', 'bot', 'pool', 'servicer', 'ended'].map((s) => ({ value: s, label: t(`state.${s}`) }))} />
        </Space.Compact>
        <List
          loading={!list}
          dataSource={list ?? []}
          locale={{ emptyText: <Empty description={t('inbox.none')} /> }}
          style={{ maxHeight: 'calc(100vh - 210px)', overflow: 'auto' }}
          renderItem={(c) => (
            <List.Item
              className={`conv-item${c.id === current ? ' active' : ''}`}
              tabIndex={0}
              role="button"
              aria-current={c.id === current}
              data-testid="conversation"
              onClick={() => navigate(`/inbox/${c.id}`)}
              onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && navigate(`/inbox/${c.id}`)}
            >
              <List.Item.Meta
                title={
                  <Space size={4} wrap>
                    <span>{c.customer_name || c.external_userid}</span>
                    {c.service_state && !(c.desk === 'wereply' && c.servicer_userid) && <Tag color={STATE_COLORS[c.service_state]}>{t(`state.${c.service_state}`)}</Tag>}
                    {c.desk === 'wereply' && c.servicer_userid && <Tag color="geekblue">{t('desk.wereply')}</Tag>}
                    {c.complaint && <Tag color="red">{t('inbox.complaint')}</Tag>}
                    {c.test_account && <Tag>{t('sandbox.testAccount')}</Tag>}
                  </Space>
                }
                description={
                  <div style={{ fontSize: 12 }}>
                    <div style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{c.last_message ? (c.last_message.text ?? `[${t(`msgtype.${c.last_message.msgtype}`)}]`) : '—'}</div>
                    <div>
                      {new Date(c.updated_at).toLocaleString()}
                      {c.servicer_userid ? ` · ${c.servicer_name ?? c.servicer_userid}` : ''}
                    </div>
                  </div>
                }
              />
            </List.Item>
          )}
        />
      </Card>
      <Card
        size="small"
        title={conv ? `${conv.customer_name || conv.external_userid} · ${conv.open_kfid}` : t('inbox.pick')}
        extra={masked && <Tooltip title={t('inbox.maskedHelp')}><Tag>{t('inbox.masked')}</Tag></Tooltip>}
      >
        {current && options && <DeskStrip options={options} cid={current} onChanged={() => void loadConversation(current)} />}
        {!current ? (
          <Empty description={t('inbox.pick')} />
        ) : (
          <Tabs
            items={[
              {
                key: 'messages',
                label: t('inbox.history'),
                children: (
                  <>
                    <div className="chat" data-testid="history">
                      {items?.length === 0 && <Typography.Text type="secondary">{t('inbox.empty')}</Typography.Text>}
                      {items?.map((m) => <HistoryItem key={`${m.kind}${m.id}`} m={m} onReleased={() => current && void loadConversation(current)} />)}
                      <div ref={historyEnd} />
                    </div>
                    {can('conversations:reply') && options && options.desk === 'wecom' && (options.reason_code === 'session_with_servicer' || options.reason_code === 'session_in_pool') && <WeComHolds options={options} />}
                    {can('conversations:reply') && !(options && options.desk === 'wecom' && (options.reason_code === 'session_with_servicer' || options.reason_code === 'session_in_pool')) && (
                      <div style={{ marginTop: 12 }}>
                        <label htmlFor="agent-reply" style={{ display: 'block', marginBottom: 4 }}>
                          {t('inbox.reply')}
                        </label>
                        <Input.TextArea
                          id="agent-reply"
                          rows={3}
                          value={draft}
                          onChange={(e) => setDraft(e.target.value)}
                          placeholder={t('inbox.replyPlaceholder')}
                          disabled={!!options && !options.can_reply}
                          onKeyDown={(e) => {
                            if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') void startSend();
                          }}
                        />
                        {options && !options.can_reply && (
                          <Alert type="warning" showIcon style={{ marginTop: 8 }} data-testid="reply-disabled" title={reasonText(options.reason_code, options.reason, options.holder?.name ?? options.holder?.servicer_userid)} />
                        )}
                        {sendError && <Alert type="error" showIcon title={sendError} style={{ marginTop: 8 }} role="alert" />}
                        <Space style={{ marginTop: 8, justifyContent: 'space-between', width: '100%' }} wrap>
                          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                            {t('inbox.confirmHint')}
                          </Typography.Text>
                          <Button type="primary" icon={<SendOutlined />} onClick={startSend} loading={sending && !pending} disabled={!draft.trim() || (!!options && !options.can_reply)} data-testid="agent-send">
                            {t('inbox.send')}
                          </Button>
                        </Space>
                      </div>
                    )}
                  </>
                ),
              },
              {
                key: 'assignments',
                label: `${t('inbox.assignments')} (${assignments.length})`,
                children: assignments.length ? (
                  <Timeline
                    items={assignments.map((a) => ({
                      color: a.kind === 'assigned' ? 'green' : a.kind === 'pool' ? 'orange' : a.kind === 'refused' ? 'red' : 'blue',
                      children: (
                        <div>
                          <Tag>{t(`assign.${a.kind}`)}</Tag>
                          {a.servicer_userid && <b>{a.servicer_name ?? a.servicer_userid} </b>}
                          {a.follow_up && <Tag color="red">{t('inbox.followUp')}</Tag>}
                          <div style={{ fontSize: 12, color: '#666' }}>
                            {new Date(a.created_at).toLocaleString()} · {a.reason}
                          </div>
                        </div>
                      ),
                    }))}
                  />
                ) : (
                  <Empty description={t('inbox.noAssignments')} />
                ),
              },
            ]}
          />
        )}
      </Card>
      <Modal
        open={!!pending}
        title={t('inbox.confirmTitle')}
        onCancel={() => setPending(null)}
        okText={t('inbox.confirmSend')}
        cancelText={t('inbox.backToEdit')}
        okButtonProps={{ disabled: blocked && (!can('compliance:override') || override.trim().length < 4), loading: sending, danger: blocked, ...({ 'data-testid': 'confirm-send' } as object) }}
        onOk={confirmSend}
      >
        <div data-testid="confirm-dialog">
          <Typography.Paragraph>{t('inbox.confirmText')}</Typography.Paragraph>
          <div className="bubble" style={{ background: '#e6f4ff', marginBottom: 12 }}>
            {pending?.text}
          </div>
          <Typography.Text strong>{t('inbox.findings')}</Typography.Text>
          {pending?.scanned === false && !pending.answer ? <Typography.Text type="secondary">{t('compliance.unavailable')}</Typography.Text> : <FindingList findings={pending?.findings ?? []} />}
          {!!pending?.answer?.pii?.length && <Alert type="warning" showIcon style={{ marginTop: 8 }} title={t('inbox.pii', { kinds: pending.answer.pii.map((p) => t(`pii.${p.kind}`)).join('、') })} />}
          {blocked && (
            <>
              <Alert type="error" showIcon style={{ marginTop: 8 }} title={pending?.answer?.hold_reason || t('inbox.blocked')} description={can('compliance:override') ? t('inbox.overrideHelp') : t('inbox.noOverride')} />
              {can('compliance:override') && (
                <div style={{ marginTop: 8 }}>
                  <label htmlFor="override-reason">{t('editor.overrideReason')}</label>
                  <Input.TextArea id="override-reason" rows={2} value={override} onChange={(e) => setOverride(e.target.value)} />
                </div>
              )}
            </>
          )}
        </div>
      </Modal>
    </div>
  );
}

function HistoryItem({ m, onReleased }: { m: Item; onReleased: () => void }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const { message } = AntApp.useApp();
  const [releasing, setReleasing] = useState(false);
  const [reason, setReason] = useState('');
  const release = async () => {
    try {
      await post(`/api/outbox/${m.id}/release`, { reason: reason.trim() });
      message.success(t('inbox.released'));
      setReleasing(false);
      onReleased();
    } catch (e) {
      message.error((e as Error).message);
    }
  };
  if (m.kind === 'in' && m.msgtype === 'event') {
    return (
      <div className="bubble-row event">
        <div className="bubble">
          {t('inbox.event')}: {m.event ? t(`event.${m.event}`) : m.msgtype} · {new Date(m.at).toLocaleString()}
        </div>
      </div>
    );
  }
  const who = m.kind === 'in' ? (m.origin === 5 ? 'agent' : '') : m.by === 'agent' ? 'me agent' : 'me';
  return (
    <div className={`bubble-row ${who}`} data-testid={`history-${m.kind}`}>
      <div>
        <div className="bubble">
          {m.kind === 'in' ? (
            m.text ?? (
              <span>
                [{t(`msgtype.${m.msgtype}`)}]{mediaSummary(m.media)}
                {m.media_url ? <CustomerMedia url={m.media_url} msgtype={m.msgtype} /> : null}
              </span>
            )
          ) : (
            <ReplyView item={m.payload} />
          )}
        </div>
        <div className="bubble-meta" style={{ textAlign: m.kind === 'out' ? 'right' : 'left' }}>
          {new Date(m.at).toLocaleTimeString()} · {m.kind === 'in' && m.origin === 5 ? <ServicerMessageLabel item={m as Item & SentByFields} /> : t(`by.${m.by}`)}
          {m.matched_rules.length > 0 && ` · ${t('inbox.rule')}: ${m.matched_rules.map((r) => r.name).join('、')}`}
          {m.status && (
            <>
              {' '}
              <Tooltip title={m.reason}>
                <Tag color={OUT_COLORS[m.status]} style={{ marginInlineEnd: 0 }} data-testid="out-status">
                  {t(`outbox.${m.status}`)}
                </Tag>
              </Tooltip>
              {m.status === 'held' && m.reason && <div style={{ color: '#d4380d' }}>{m.reason}</div>}
              {m.status === 'waiting_allowance' && m.reason && <div style={{ color: '#ad8b00' }}>{m.reason}</div>}
              {m.status === 'held' && can('compliance:override') && (
                <Button size="small" type="link" onClick={() => setReleasing(true)}>
                  {t('inbox.release')}
                </Button>
              )}
            </>
          )}
          <Modal
            open={releasing}
            title={t('inbox.releaseTitle')}
            onCancel={() => setReleasing(false)}
            onOk={release}
            okText={t('inbox.release')}
            okButtonProps={{ danger: true, disabled: reason.trim().length < 4 }}
          >
            <Typography.Paragraph>{t('inbox.releaseText')}</Typography.Paragraph>
            <label htmlFor={`release-${m.id}`}>{t('editor.overrideReason')}</label>
            <Input.TextArea id={`release-${m.id}`} rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
          </Modal>
        </div>
      </div>
    </div>
  );
}

/** A customer's photo, voice note or video shown in place (fetched with the token); a file as a download. */
/** What a card-like message says (link/mini-program title, a location's name and address), as the API gave it (masked without pii:view). */
function mediaSummary(media: any): string {
  if (!media || typeof media !== 'object') return '';
  const parts = [media.title, media.name, media.address].filter((x) => typeof x === 'string' && x);
  return parts.length ? ` ${parts.join(' · ')}` : '';
}

function CustomerMedia({ url, msgtype }: { url: string; msgtype: string }) {
  const { t } = useI18n();
  const [src, setSrc] = useState<string | null>(null);
  const [error, setError] = useState<number | null>(null);
  useEffect(() => {
    if (msgtype === 'file' || msgtype === 'voice') return;
    let revoked = false;
    let made: string | null = null;
    blobUrl(url)
      .then((u) => {
        made = u;
        if (revoked) URL.revokeObjectURL(u);
        else setSrc(u);
      })
      .catch((e: unknown) => setError(e instanceof ApiError ? e.status : 0));
    return () => {
      revoked = true;
      if (made) URL.revokeObjectURL(made);
    };
  }, [url, msgtype]);
  if (error !== null) return <div className="customer-media-error">{error === 410 ? t('inbox.mediaGone') : t('inbox.mediaFailed')}</div>;
  // Files, and voice notes (AMR, which browsers cannot play), are downloaded.
  if (msgtype === 'file' || msgtype === 'voice') {
    return (
      <div>
        <Button size="small" onClick={() => void download(url, 'file').catch((e: unknown) => setError(e instanceof ApiError ? e.status : 0))}>
          {t('inbox.mediaDownload')}
        </Button>
      </div>
    );
  }
  if (!src) return <div>{t('inbox.mediaLoading')}</div>;
  if (msgtype === 'image') return <img src={src} alt={t('msgtype.image')} data-testid="customer-image" style={{ display: 'block', maxWidth: 'min(240px, 100%)', maxHeight: 240, marginTop: 4, borderRadius: 4 }} />;
  return <video src={src} controls style={{ display: 'block', maxWidth: 'min(280px, 100%)', marginTop: 4 }} />;
}
