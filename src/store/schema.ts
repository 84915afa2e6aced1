/**
 * Table types for Kysely. Timestamps are integer milliseconds since the epoch (bigint in
 * PostgreSQL, parsed back to number), JSON is stored as text so both engines behave the same,
 * booleans are 0/1 integers.
 */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

export interface KfCallbackTable {
  id: Generated<number>;
  /** WeCom retries a callback up to 3 times; the event's Token (or OpenKfId+CreateTime) names it. */
  event_key: string;
  open_kfid: string;
  sync_token: string | null;
  create_time: number;
  received_at: number;
}

export interface JobTable {
  id: Generated<number>;
  kind: string;
  /** Jobs with the same key are coalesced: a newer callback updates the pending job's payload. */
  key: string;
  payload: string;
  run_at: number;
  attempts: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
}

export interface KfCursorTable {
  open_kfid: string;
  cursor: string;
  updated_at: number;
}

export interface ConversationTable {
  id: Generated<number>;
  channel: string;
  open_kfid: string;
  external_userid: string;
  last_customer_msg_at: number | null;
  /**
   * Unused since migration 0007 (kept for old rows): the allowance is derived from outbox.accepted_at
   * against the customer messages' send_time (store/allowance-repo.ts), not from a running counter.
   */
  sent_since_customer_msg: number;
  /** Last time the any-message reply (收到消息回复) went to this customer: its cooldown. */
  last_any_reply_at: number | null;
  /** Consecutive customer messages no rule matched (handoff after N, see routing). */
  unmatched_streak: number;
  /** The servicer holding (or reserved for) this conversation. */
  servicer_userid: string | null;
  /** WeCom session state as WeReply last set or saw it: 0 new, 1 bot, 2 pool, 3 servicer, 4 ended. */
  service_state: number | null;
  /** The handoff was a complaint (投诉): counts against supervisors' complaint cap. */
  complaint: Generated<number>;
  /** For sticky groups: who this customer talked to last. */
  last_servicer_userid: string | null;
  /** In WeCom's waiting pool (or, desk 'wereply', WeReply's own queue) since (ms), for assignment in arrival order. */
  waiting_since: number | null;
  /**
   * Where people answer this conversation since its last handoff (0011): 'wereply' (WeReply's inbox,
   * the session stays with the API; servicer_userid is the agent holding it) or 'wecom' (the WeCom
   * client, state 3). Null: never handed to a person.
   */
  desk: Generated<string | null>;
  created_at: number;
  updated_at: number;
}

export interface CustomerTable {
  external_userid: string;
  /** 测试账号: draft rules fire only for these customers. */
  test_account: number;
  name: string | null;
  /** JSON string[]: customer tags routing conditions can require (region, VIP…). */
  tags: Generated<string>;
  /** The customer's own IANA timezone, when known (overseas customers). */
  timezone: string | null;
  created_at: number;
  updated_at: number;
}

export interface MessageTable {
  id: Generated<number>;
  msgid: string;
  conversation_id: number;
  open_kfid: string;
  external_userid: string;
  /** 3 customer, 4 system event, 5 servicer in the WeCom client. */
  origin: number;
  msgtype: string;
  /** Plain text of a text message (or a menu click's text), null otherwise. */
  text: string | null;
  /** The original message item as pulled from sync_msg. */
  raw: string;
  /** JSON of the decision taken (matched/skipped rules), for the conversation view and analytics. */
  decision: string | null;
  send_time: number;
  received_at: number;
  /** origin 5: the servicer who sent it from the WeCom client (0012). */
  servicer_userid: Generated<string | null>;
  /** origin 5: JSON MessageFindings of the after-the-fact compliance scan, PII masked; null when clean (0012). */
  findings: Generated<string | null>;
}

export interface RuleTable {
  id: Generated<number>;
  name: string;
  kind: string;
  match: string | null;
  reply: string;
  priority: number;
  stop: number;
  active_hours: string | null;
  cooldown_seconds: number | null;
  enabled: number;
  status: string;
  hit_count: number;
  created_at: number;
  updated_at: number;
}

export interface OutboxTable {
  id: Generated<number>;
  conversation_id: number;
  /** 'send_msg' or 'send_msg_on_event' (welcome). */
  api: string;
  /** Stable WeCom msgid (≤32 bytes, [0-9a-zA-Z_-]), derived from the cause, reused on every retry. */
  msgid: string;
  /** The reply to send, in WeReply's own reply format (materials resolved at send time). */
  payload: string;
  /** pending | sending | retry | sent | failed | held | waiting_allowance */
  status: string;
  priority: number;
  attempts: number;
  next_attempt_at: number;
  locked_by: string | null;
  locked_until: number | null;
  last_errcode: number | null;
  /** Human-readable reason of the last failure or of the final state. */
  reason: string | null;
  source_msgid: string | null;
  rule_id: number | null;
  /** When the cause (the customer's message) was received, for the reply latency metric. */
  caused_at: number;
  created_at: number;
  sent_at: number | null;
  /** When the call the channel accepted started: which allowance the send used. */
  accepted_at: Generated<number | null>;
  /** waiting_allowance: the reply is due again once a customer message newer than this messages.id is stored. */
  allowance_after: Generated<number | null>;
}

export interface OutboxAttemptTable {
  id: Generated<number>;
  outbox_id: number;
  started_at: number;
  finished_at: number | null;
  /** in_flight | ok | error | unknown (process died mid-call; may be repeated once more) */
  outcome: string;
  errcode: number | null;
  error: string | null;
  /** The worker (instance) that made the attempt. */
  worker: string | null;
}

export interface MaterialTable {
  id: Generated<number>;
  /** image | video | file | voice */
  kind: string;
  filename: string;
  mime: string;
  size: number;
  sha256: string;
  /** Path of the stored bytes, relative to the data directory. */
  path: string;
  media_id: string | null;
  media_uploaded_at: number | null;
  created_at: number;
}

export interface AccessTokenTable {
  key: string;
  token: string;
  expires_at: number;
  updated_at: number;
}

export interface SettingTable {
  key: string;
  value: string;
}

export interface ServicerTable {
  userid: string;
  name: string;
  /** JSON string[]: kf accounts (open_kfid) this servicer receives on, from kf/servicer/list. */
  open_kfids: string;
  /** JSON string[]: group ids. */
  groups: string;
  reception_cap: number;
  supervisor: number;
  /** active | departed (离职) */
  status: string;
  /** 接待中 1 / 停止接待 0 */
  receiving: number;
  timezone: string;
  /** JSON WeeklySchedule or null. */
  shift: string | null;
  created_at: number;
  updated_at: number;
}

export interface RoutingVersionTable {
  id: Generated<number>;
  /** JSON RoutingConfig: groups, tree, duty fallback, complaint phrases. */
  config: string;
  author: string;
  note: string | null;
  created_at: number;
}

export interface RoutingStateTable {
  /** "rr:<group id>" (round-robin pointer), "lock:assign" (the assignment lock row), "servicer-departments" (last sync's departments). */
  key: string;
  value: string;
  updated_at: number;
}

export interface AssignmentTable {
  id: Generated<number>;
  conversation_id: number;
  servicer_userid: string | null;
  /** assigned | pool | reassigned | refused | released */
  kind: string;
  reason: string;
  /** JSON RouteDecision (the routing trace). */
  trace: string | null;
  /** Flagged for follow-up (a complaint no supervisor could take). */
  follow_up: number;
  /** The desk that applied ('wereply' | 'wecom'), null before 0011 or for WeCom's own events. */
  desk: Generated<string | null>;
  created_at: number;
}

/** An organisation's own risk word, or its edit of a shipped one (the fields it changed), by id. */
export interface RiskWordEditTable {
  id: string;
  /** JSON OrganisationWord without the id. */
  patch: string;
  updated_by: string;
  created_at: number;
  updated_at: number;
}

/** A text an admin let through despite block findings (override with a written reason). */
export interface ComplianceApprovalTable {
  id: Generated<number>;
  /** sha256 of the exact text approved: another wording needs its own approval. */
  text_sha256: string;
  /** JSON string[]: the risk-word ids the approval covers. */
  word_ids: string;
  approved_by: string;
  reason: string;
  created_at: number;
}

export interface ComplianceAuditTable {
  id: Generated<number>;
  /** blocked | overridden | confirmed | held | released | words_changed | words_imported */
  action: string;
  /** rule | material | handoff_settings | agent_message | outbox | risk_words */
  subject_type: string;
  subject_id: string | null;
  actor: string;
  /** The text concerned, PII masked. */
  text: string | null;
  /** JSON Finding[] (with the field each was found in). */
  findings: string;
  /** The override's written reason. */
  reason: string | null;
  created_at: number;
}

/** An agent's message waiting for 二次确认 (or already confirmed: then outbox_id is set). */
export interface AgentMessageTable {
  id: Generated<number>;
  conversation_id: number;
  author: string;
  text: string;
  findings: string;
  token_sha256: string;
  /** pending | confirmed | cancelled */
  status: string;
  outbox_id: number | null;
  created_at: number;
  expires_at: number;
}

/** People using the console/API with their own token and a role (admin token = role admin). */
export interface OperatorTable {
  id: Generated<number>;
  name: string;
  /** admin | supervisor | agent | analyst */
  role: string;
  token_sha256: string;
  /** The name folded as a person sees it (operators/names.ts foldName); unique. Null only before 0009. */
  name_key: string | null;
  /** The 接待人员 this operator is, if any. */
  servicer_userid: string | null;
  disabled: number;
  /** 在线 'online' / 离开 'away' as the operator set it (0011); online counts only with a recent heartbeat. */
  presence: Generated<string>;
  /** Last heartbeat from the console (ms). */
  presence_seen_at: Generated<number | null>;
  created_at: number;
  /** scrypt$N$r$p$salt$hash (operators/password.ts); null: no password sign-in. Since 0013. */
  password_hash: string | null;
  password_set_at: number | null;
}

/** Failed password sign-ins per key (`name:<folded name>` or `ip:<address>`), for the lockout. */
export interface SignInFailureTable {
  key: string;
  fails: number;
  locked_until: number;
  last_at: number;
}

/** One-use sign-in tickets: a WeCom login `state` (kind wecom_state) or a console hand-over code (kind exchange). */
export interface SignInTicketTable {
  ticket_sha256: string;
  kind: string;
  operator_id: number | null;
  remember: number;
  /** sha256 of the browser cookie the state is bound to (wecom_state). */
  browser_sha256: string | null;
  created_at: number;
  expires_at: number;
}

export interface SessionTable {
  id: Generated<number>;
  operator_id: number;
  token_sha256: string;
  /** 1 when signed in with 记住我 (the longer lifetime). */
  remember: number;
  created_at: number;
  expires_at: number;
}

/** Regex rules cut off on real messages (migration 0010_regex_budget). */
export interface RegexRuleStatsTable {
  rule_id: number;
  /** Messages on which one of the rule's patterns hit its time limit. */
  timeouts: number;
  /** Messages on which the rule was not evaluated because the message's regex budget was spent. */
  budget_skips: number;
  /** Last time either happened (ms). */
  last_at: number;
}

/** A message that broke the compliance rules after it was sent (a servicer in the WeCom client), until acknowledged (0012). */
export interface AlertTable {
  id: Generated<number>;
  /** servicer_message: sent from the WeCom client, scanned after the fact. */
  kind: string;
  /** block: risk words of severity block; pii: personal data the organisation holds back (both: block). */
  severity: string;
  conversation_id: number;
  message_id: number;
  servicer_userid: string | null;
  /** JSON MessageFindings (matched text PII-masked). */
  findings: string;
  /** The message's texts, PII masked. */
  text: string | null;
  created_at: number;
  acknowledged_by: string | null;
  acknowledged_at: number | null;
  ack_note: string | null;
  /** The WeCom app message to the supervisors: pending | sent | failed | no_recipients | not_configured */
  notify_status: Generated<string>;
  /** Who it went to, or why not. */
  notify_detail: string | null;
  notified_at: number | null;
}

export interface Database {
  alerts: AlertTable;
  kf_callbacks: KfCallbackTable;
  jobs: JobTable;
  kf_cursors: KfCursorTable;
  conversations: ConversationTable;
  customers: CustomerTable;
  messages: MessageTable;
  rules: RuleTable;
  outbox: OutboxTable;
  outbox_attempts: OutboxAttemptTable;
  materials: MaterialTable;
  access_tokens: AccessTokenTable;
  settings: SettingTable;
  servicers: ServicerTable;
  routing_versions: RoutingVersionTable;
  routing_state: RoutingStateTable;
  assignments: AssignmentTable;
  risk_word_edits: RiskWordEditTable;
  compliance_approvals: ComplianceApprovalTable;
  compliance_audit: ComplianceAuditTable;
  agent_messages: AgentMessageTable;
  operators: OperatorTable;
  sessions: SessionTable;
  sign_in_failures: SignInFailureTable;
  sign_in_tickets: SignInTicketTable;
  regex_rule_stats: RegexRuleStatsTable;
}

export type RuleRow = Selectable<RuleTable>;
export type NewRuleRow = Insertable<RuleTable>;
export type RuleRowUpdate = Updateable<RuleTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type MessageRow = Selectable<MessageTable>;
export type ConversationRow = Selectable<ConversationTable>;
export type MaterialRow = Selectable<MaterialTable>;
export type JobRow = Selectable<JobTable>;
