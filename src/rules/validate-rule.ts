/**
 * Semantic checks of a rule beyond its JSON schema, each error naming the field it is about.
 * Pure: the caller supplies what needs the database (which material ids exist).
 */
import { compileUserRegex } from './safe-regex.js';
import { normalizeText } from './normalize.js';
import {
  type ActiveHours,
  MAX_REPLIES_PER_RULE,
  MAX_TEXT_BYTES,
  type ReplyItem,
  type Rule,
  type RuleKind,
  type RuleMatch,
} from './rule.js';

export interface FieldError {
  field: string;
  message: string;
}

/** A rule as written by a user, before defaults. */
export interface RuleInput {
  name?: string;
  kind?: RuleKind;
  match?: RuleMatch | null;
  reply?: ReplyItem[];
  priority?: number;
  stop?: boolean;
  active_hours?: ActiveHours | null;
  cooldown_seconds?: number | null;
  enabled?: boolean;
  status?: 'live' | 'draft';
}

export type RuleFields = Omit<Rule, 'id' | 'hit_count' | 'created_at' | 'updated_at'>;

/** Applies defaults to a complete input (create) or merges a partial one over an existing rule (update). */
export function resolveRuleFields(input: RuleInput, base?: RuleFields): RuleFields {
  return {
    name: input.name ?? base?.name ?? '',
    kind: input.kind ?? base?.kind ?? 'keyword',
    match: input.match !== undefined ? input.match : (base?.match ?? null),
    reply: input.reply ?? base?.reply ?? [],
    priority: input.priority ?? base?.priority ?? 0,
    stop: input.stop ?? base?.stop ?? true,
    active_hours: input.active_hours !== undefined ? input.active_hours : (base?.active_hours ?? null),
    cooldown_seconds: input.cooldown_seconds !== undefined ? input.cooldown_seconds : (base?.cooldown_seconds ?? null),
    enabled: input.enabled ?? base?.enabled ?? true,
    status: input.status ?? base?.status ?? 'live',
  };
}

export function validateRule(rule: RuleFields, materialExists: (id: number) => boolean): FieldError[] {
  const errors: FieldError[] = [];
  const err = (field: string, message: string) => errors.push({ field, message });

  if (!rule.name.trim()) err('name', 'name must not be empty');

  if (rule.kind === 'keyword') {
    if (!rule.match) err('match', 'a keyword rule needs match conditions, e.g. {"any":["退货","退款"]}');
    else validateMatch(rule.match, err);
  } else if (rule.match) {
    err('match', `a ${rule.kind} rule has no keywords; remove "match"`);
  }
  if (rule.kind !== 'any_message' && rule.cooldown_seconds != null) {
    err('cooldown_seconds', 'cooldown_seconds applies only to any_message rules (收到消息回复)');
  }

  const messages = rule.reply.filter((r) => r.type !== 'handoff');
  if (rule.reply.length === 0) err('reply', 'reply needs at least one message or a handoff');
  if (rule.reply.filter((r) => r.type === 'handoff').length > 1) err('reply', 'at most one handoff per rule');
  if (rule.kind === 'welcome' && messages.length !== rule.reply.length) err('reply', 'a welcome message cannot hand off: the customer has not written yet');
  if (messages.length > MAX_REPLIES_PER_RULE) {
    err('reply', `at most ${MAX_REPLIES_PER_RULE} messages per rule: WeCom allows 5 messages within 48 hours after the customer's last message`);
  }
  if (rule.kind === 'welcome') {
    if (rule.reply.length !== 1) err('reply', 'a welcome message is exactly one message (WeCom send_msg_on_event sends one)');
    rule.reply.forEach((r, i) => {
      if (r.type !== 'text' && r.type !== 'menu') err(`reply[${i}].type`, 'a welcome message can only be text or menu (WeCom send_msg_on_event)');
    });
  }
  rule.reply.forEach((r, i) => validateReply(r, `reply[${i}]`, err, materialExists));

  if (rule.active_hours) validateActiveHours(rule.active_hours, err);
  return errors;
}

function validateMatch(match: RuleMatch, err: (f: string, m: string) => void): void {
  const positive = (['exact', 'any', 'all', 'command', 'regex'] as const).filter((k) => match[k]?.length);
  if (positive.length === 0) {
    err('match', 'match needs at least one of exact, any, all, command or regex ("none" alone would match almost every message)');
  }
  for (const kind of ['exact', 'any', 'all', 'none', 'command'] as const) {
    const list = match[kind];
    if (!list) continue;
    if (list.length === 0) err(`match.${kind}`, `match.${kind} is an empty list; remove it or add keywords`);
    list.forEach((word, i) => {
      const n = normalizeText(kind === 'command' ? word.replace(/^[#＃]/, '') : word);
      if (!n) err(`match.${kind}[${i}]`, `keyword "${word}" is empty after trimming`);
      if (kind === 'command' && /\s/.test(n)) err(`match.command[${i}]`, `command "${word}" must be a single word without spaces`);
    });
  }
  match.regex?.forEach((pattern, i) => {
    const compiled = compileUserRegex(pattern, 'iu');
    if (!compiled.ok) err(`match.regex[${i}]`, `invalid regular expression "${pattern}": ${compiled.error}`);
  });
}

function validateReply(r: ReplyItem, field: string, err: (f: string, m: string) => void, materialExists: (id: number) => boolean): void {
  const need = (names: string[]) => {
    for (const n of names) if ((r as Record<string, unknown>)[n] === undefined) err(`${field}.${n}`, `a ${r.type} reply needs "${n}"`);
  };
  const material = (name: string) => {
    const id = (r as Record<string, unknown>)[name];
    if (typeof id === 'number' && !materialExists(id)) err(`${field}.${name}`, `material ${id} does not exist; upload it with POST /api/materials first`);
  };
  switch (r.type) {
    case 'text': {
      need(['text']);
      const bytes = Buffer.byteLength(r.text ?? '', 'utf8');
      if (bytes > MAX_TEXT_BYTES) {
        err(`${field}.text`, `text is ${bytes} bytes; WeCom allows at most ${MAX_TEXT_BYTES} bytes (about 680 Chinese characters) per message: shorten it or split it into two text replies`);
      }
      if (r.text !== undefined && !r.text.trim()) err(`${field}.text`, 'text must not be blank');
      break;
    }
    case 'image':
    case 'video':
    case 'file':
      need(['material_id']);
      material('material_id');
      break;
    case 'link':
      need(['title', 'url', 'thumb_material_id']);
      if (r.url && !/^https?:\/\//i.test(r.url)) err(`${field}.url`, 'url must start with http:// or https://');
      material('thumb_material_id');
      break;
    case 'miniprogram':
      need(['appid', 'title', 'pagepath', 'thumb_material_id']);
      material('thumb_material_id');
      break;
    case 'handoff':
      break;
    case 'menu':
      need(['items']);
      r.items?.forEach((item, j) => {
        const f = `${field}.items[${j}]`;
        if (item.type === 'view' && !('url' in item && item.url)) err(`${f}.url`, 'a view menu item needs "url"');
        if (item.type === 'miniprogram' && !('appid' in item && item.appid && 'pagepath' in item && item.pagepath)) {
          err(f, 'a miniprogram menu item needs "appid" and "pagepath"');
        }
      });
      break;
  }
  // Fields that belong to another reply type are a mistake worth naming.
  const allowed: Record<ReplyItem['type'], string[]> = {
    text: ['type', 'text'],
    image: ['type', 'material_id'],
    video: ['type', 'material_id'],
    file: ['type', 'material_id'],
    link: ['type', 'title', 'desc', 'url', 'thumb_material_id'],
    miniprogram: ['type', 'appid', 'title', 'pagepath', 'thumb_material_id'],
    menu: ['type', 'head', 'items', 'tail'],
    handoff: ['type', 'route'],
  };
  for (const key of Object.keys(r)) {
    if (!allowed[r.type]?.includes(key)) err(`${field}.${key}`, `"${key}" does not belong to a ${r.type} reply`);
  }
}

function validateActiveHours(h: ActiveHours, err: (f: string, m: string) => void): void {
  if (h.timezone) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: h.timezone });
    } catch {
      err('active_hours.timezone', `"${h.timezone}" is not an IANA timezone (e.g. Asia/Shanghai)`);
    }
  }
  h.ranges?.forEach((r, i) => {
    if (r.start === r.end) err(`active_hours.ranges[${i}]`, 'start and end are equal; leave out "ranges" for all day');
  });
}
