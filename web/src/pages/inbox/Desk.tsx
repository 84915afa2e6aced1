/**
 * Where people answer, in the inbox: the status strip (desk, holder, WeCom state, allowance, the
 * WeReply queue), the explanation shown instead of a reply box when the WeCom client holds the
 * session, the desk actions (接管 / 转企业微信客户端 / 结束会话, each confirmed first), and the
 * presence switch (在线 / 离开) with its heartbeat. Everything comes from
 * GET /api/conversations/:id/reply-options, computed by one use case on the server.
 */
import { useCallback, useEffect, useState } from 'react';
import { Alert, App as AntApp, Button, Input, Modal, Space, Switch, Tag, Tooltip, Typography } from 'antd';
import { ApiError, get, post, put } from '../../api';
import { useI18n } from '../../i18n';

export interface ReplyOptions {
  desk: 'wecom' | 'wereply';
  desk_recorded: boolean;
  holder: { servicer_userid: string; name: string | null; operator_id: number | null } | null;
  service_state: number | null;
  waiting: boolean;
  can_reply: boolean;
  reason: string | null;
  reason_code: string | null;
  allowance: { messages_left: number; messages_max: number; window_ends_at: number | null; customer_must_write: boolean } | null;
  actions: ('reply' | 'take_over' | 'hand_to_wecom' | 'close')[];
}

/** Reply options of a conversation, reloaded whenever `version` changes (live updates). */
export function useReplyOptions(cid: number | null, version: number): [ReplyOptions | null, () => void] {
  const [options, setOptions] = useState<ReplyOptions | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!cid) return setOptions(null);
    let live = true;
    get<ReplyOptions>(`/api/conversations/${cid}/reply-options`)
      .then((o) => live && setOptions(o))
      .catch(() => live && setOptions(null));
    return () => {
      live = false;
    };
  }, [cid, version, tick]);
  return [options, useCallback(() => setTick((n) => n + 1), [])];
}

/** The refusal in the console's words (zh/en), with WeCom's reasoning from the server in the tooltip. */
export function useReasonText(): (code: string | null | undefined, fallback: string | null | undefined, holder?: string) => string {
  const { t } = useI18n();
  return (code, fallback, holder) => {
    if (!code) return fallback ?? '';
    const text = t(`desk.reason.${code}`, { holder: holder ?? '' });
    return text === `desk.reason.${code}` ? (fallback ?? code) : text;
  };
}

const holderName = (o: ReplyOptions) => (o.holder ? (o.holder.name ?? o.holder.servicer_userid) : '');

export function DeskStrip({ options, cid, onChanged }: { options: ReplyOptions; cid: number; onChanged: () => void }) {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const reasonText = useReasonText();
  const [acting, setActing] = useState<null | 'take_over' | 'hand_to_wecom' | 'close'>(null);
  const [servicer, setServicer] = useState('');
  const [busy, setBusy] = useState(false);
  const a = options.allowance;
  const hoursLeft = a?.window_ends_at ? Math.max(0, Math.floor((a.window_ends_at - Date.now()) / 3600_000)) : null;
  const run = async () => {
    if (!acting) return;
    setBusy(true);
    try {
      if (acting === 'close') await post(`/api/conversations/${cid}/close`, {});
      else await post(`/api/conversations/${cid}/desk`, { action: acting, ...(acting === 'hand_to_wecom' && servicer.trim() ? { servicer_userid: servicer.trim() } : {}) });
      message.success(t(`desk.done.${acting}`));
      setActing(null);
      setServicer('');
      onChanged();
    } catch (e) {
      message.error(e instanceof ApiError ? reasonText(e.body?.reason_code, e.message) : (e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const state = options.service_state ?? 1;
  // In WeCom's pool or with a servicer, the API cannot send at all: the allowance numbers would mislead.
  const showAllowance = a && state !== 2 && state !== 3;
  return (
    <div className="desk-strip" data-testid="desk-strip" style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', padding: '6px 8px', marginBottom: 8, background: '#fafafa', border: '1px solid #f0f0f0', borderRadius: 6 }}>
      <Tooltip title={t(options.desk === 'wereply' ? 'desk.wereplyHelp' : 'desk.wecomHelp')}>
        <Tag color={options.desk === 'wereply' ? 'geekblue' : 'purple'} data-testid="desk-name">
          {t(`desk.${options.desk}`)}
        </Tag>
      </Tooltip>
      <span data-testid="desk-holder">{options.holder ? t('desk.holder', { name: holderName(options) }) : options.waiting ? <Tag color="orange">{t('desk.waiting')}</Tag> : t('desk.noHolder')}</span>
      <Tooltip title={t('desk.stateHelp')}>
        <Tag data-testid="desk-state">{t(`desk.state.${state}`)}</Tag>
      </Tooltip>
      {showAllowance && (
        <span data-testid="desk-allowance" style={{ fontSize: 12 }}>
          {a.customer_must_write ? <Typography.Text type="warning">{t('desk.customerMustWrite')}</Typography.Text> : t('desk.allowance', { left: a.messages_left, max: a.messages_max, hours: hoursLeft ?? 0 })}
        </span>
      )}
      <span style={{ flex: 1 }} />
      <Space size={4}>
        {options.actions.includes('take_over') && (
          <Button size="small" type="primary" ghost onClick={() => setActing('take_over')} data-testid="desk-take-over">
            {t('desk.takeOver')}
          </Button>
        )}
        {options.actions.includes('hand_to_wecom') && (
          <Button size="small" onClick={() => setActing('hand_to_wecom')} data-testid="desk-hand">
            {t('desk.handToWecom')}
          </Button>
        )}
        {options.actions.includes('close') && (
          <Button size="small" danger onClick={() => setActing('close')} data-testid="desk-close">
            {t('desk.close')}
          </Button>
        )}
      </Space>
      <Modal
        open={!!acting}
        title={acting ? t(`desk.confirm.${acting}.title`) : ''}
        onCancel={() => setActing(null)}
        onOk={run}
        okText={acting ? t(`desk.confirm.${acting}.ok`) : ''}
        okButtonProps={{ loading: busy, danger: acting === 'close', ...({ 'data-testid': 'desk-confirm' } as object) }}
        cancelText={t('common.cancel')}
      >
        {acting && <Typography.Paragraph>{t(`desk.confirm.${acting}.text`, { holder: holderName(options) })}</Typography.Paragraph>}
        {acting === 'hand_to_wecom' && (
          <>
            <label htmlFor="hand-servicer">{t('desk.servicerOptional')}</label>
            <Input id="hand-servicer" value={servicer} onChange={(e) => setServicer(e.target.value)} placeholder="userid" />
          </>
        )}
      </Modal>
    </div>
  );
}

/** Instead of a reply box that cannot work: who holds the session in WeCom, and why WeReply cannot send. */
export function WeComHolds({ options }: { options: ReplyOptions }) {
  const { t } = useI18n();
  const reasonText = useReasonText();
  return (
    <Alert
      type="info"
      showIcon
      style={{ marginTop: 12 }}
      data-testid="wecom-holds"
      title={reasonText(options.reason_code, options.reason, holderName(options))}
      description={
        <>
          <div>{t('desk.wecomWhy')}</div>
          {options.actions.includes('take_over') && <div>{t('desk.wecomTakeOverHint')}</div>}
        </>
      }
    />
  );
}

/** 在线 / 离开 for operators linked to a servicer, with the heartbeat while the console is open. */
export function PresenceSwitch() {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [presence, setPresence] = useState<{ status: 'online' | 'away'; present: boolean; servicer_userid: string | null } | null>(null);
  useEffect(() => {
    get<{ status: 'online' | 'away'; present: boolean; servicer_userid: string | null }>('/api/me/presence')
      .then(setPresence)
      .catch(() => setPresence(null));
  }, []);
  const linked = !!presence?.servicer_userid;
  useEffect(() => {
    if (!linked) return;
    const beat = () => void post('/api/me/heartbeat', {}).then((p: any) => setPresence(p)).catch(() => undefined);
    beat();
    const timer = setInterval(beat, 30_000);
    return () => clearInterval(timer);
  }, [linked]);
  if (!presence || !linked) return null;
  const toggle = async (on: boolean) => {
    try {
      setPresence(await put('/api/me/presence', { status: on ? 'online' : 'away' }));
    } catch (e) {
      message.error((e as Error).message);
    }
  };
  return (
    <Tooltip title={t('presence.help')}>
      <Switch checked={presence.status === 'online'} onChange={toggle} checkedChildren={t('presence.online')} unCheckedChildren={t('presence.away')} data-testid="presence" aria-label={t('presence.label')} />
    </Tooltip>
  );
}
