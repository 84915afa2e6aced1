/**
 * /api/servicers, /api/routing, /api/shifts — the routing configuration: 接待人员, the routing tree
 * with its groups (versioned: who/when, earlier versions restorable), and shift schedules (排班)
 * with the holiday calendar.
 *
 * Field names are camelCase as in `src/routing/model.ts` (`receptionCap`, `supervisorCap`), except
 * `open_kfids` in the sync body, which is WeCom's own name.
 *
 * Validation happens in two places: the JSON schemas beside each route check shapes (and are the
 * OpenAPI contract); the domain checks (`validateTree`, `validateSchedule`, members exist, targets
 * reachable) run in code and answer 400 with `details[].field` naming the group, node or row at fault.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Group, RoutingConfig, Servicer, Target, Weekday, WeeklySchedule } from '../routing/model.js';
import { isValidTimeZone, validateSchedule } from '../routing/schedule.js';
import { syncServicers } from '../jobs/servicer-sync.js';
import { reassignDeparted } from '../pipeline/assign-conversation.js';
import { handoffSettings } from '../store/rules-repo.js';
import { validateTree } from '../routing/tree.js';
import type { HolidayCalendar } from '../routing/holiday-csv.js';
import { currentRouting, listServicers, routingVersions, saveRouting, servicerDepartments, servicerFromRow, type RoutingVersion } from '../store/routing-repo.js';
import type { Database } from '../store/schema.js';
import type { Services } from '../services.js';
import { ApiError, describeValidation, type FieldProblem } from './http-errors.js';
import { refuseFile } from './untrusted-upload.js';

type Db = Kysely<Database> | Transaction<Database>;
type StoredServicer = Servicer & { openKfids: string[] };

// ---------------------------------------------------------------- schemas

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, details: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } } },
} as const;

const hhmm = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$', description: 'HH:MM, 00:00–23:59 or 24:00' } as const;
const isoDate = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'local date YYYY-MM-DD' } as const;
const weekday = { type: 'integer', minimum: 1, maximum: 7, description: '1 = Monday … 7 = Sunday' } as const;
const timeRange = { type: 'object', additionalProperties: false, required: ['start', 'end'], properties: { start: hhmm, end: hhmm } } as const;
const strategy = { type: 'string', enum: ['round_robin', 'least_busy', 'sticky'], description: 'round_robin = 按成员接待顺序分配; least_busy; sticky = the last servicer this customer talked to if available' } as const;

const weeklyScheduleSchema = {
  type: 'object',
  description: '排班: weekly ranges (a range ending before it starts crosses midnight), 节假日 holidays and 调休 workdays, in one IANA timezone',
  additionalProperties: false,
  required: ['timezone', 'weekly'],
  properties: {
    timezone: { type: 'string', description: 'IANA timezone, e.g. Asia/Shanghai' },
    weekly: {
      type: 'object',
      additionalProperties: false,
      description: 'ranges per ISO weekday "1" (Monday) … "7" (Sunday); a missing weekday is off all day',
      properties: Object.fromEntries(['1', '2', '3', '4', '5', '6', '7'].map((d) => [d, { type: 'array', items: timeRange }])),
    },
    holidays: { type: 'array', items: isoDate },
    extraWorkdays: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['date', 'like'], properties: { date: isoDate, like: weekday } } },
  },
} as const;

/** A department listed as 接待人员, as the servicer sync found it. */
const departmentSchema = {
  type: 'object',
  required: ['department_id', 'open_kfids', 'expanded', 'members'],
  properties: {
    department_id: { type: 'integer' },
    open_kfids: { type: 'array', items: { type: 'string' } },
    expanded: { type: 'boolean', description: 'its members were read with the contact API and synced as servicers' },
    members: { type: 'array', items: { type: 'string' } },
    reason: { type: 'string', description: 'why it was not expanded, and what to do' },
  },
} as const;

const servicerSchema = {
  type: 'object',
  description: '接待人员 (camelCase field names as in the routing model)',
  properties: {
    userid: { type: 'string' },
    name: { type: 'string' },
    groups: { type: 'array', items: { type: 'string' }, description: 'group ids (skills), in step with the groups\' members in the routing configuration' },
    receptionCap: { type: 'integer', description: '接待上限: most concurrent open sessions' },
    supervisor: { type: 'boolean', description: 'takes complaints (投诉) first' },
    status: { type: 'string', enum: ['active', 'departed'], description: 'departed = 离职, never chosen' },
    receiving: { type: 'boolean', description: '接待中 (true) or 停止接待 (false), from WeCom' },
    timezone: { type: 'string' },
    shift: { anyOf: [weeklyScheduleSchema, { type: 'null' }], description: 'personal shift; null = always on shift' },
    openKfids: { type: 'array', items: { type: 'string' }, description: 'kf accounts WeCom lists this servicer on' },
  },
} as const;

const servicerPatchSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  description: 'Fields to change (camelCase as in the routing model). Changing groups adds/removes the servicer in those groups\' members and saves a new routing version.',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    receptionCap: { type: 'integer', minimum: 1, maximum: 1000, description: '接待上限, 1 … 1000' },
    supervisor: { type: 'boolean' },
    status: { type: 'string', enum: ['active', 'departed'], description: 'departed = 离职' },
    timezone: { type: 'string', description: 'IANA timezone' },
    shift: { anyOf: [weeklyScheduleSchema, { type: 'null' }], description: 'null clears the shift (always on shift)' },
    groups: { type: 'array', uniqueItems: true, items: { type: 'string', minLength: 1 }, description: 'ids of existing groups' },
  },
} as const;

const stringList = { type: 'array', items: { type: 'string' } } as const;
const conditionSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'every present field must hold; {} always holds. Empty lists and bad times are reported by node name.',
  properties: {
    keywords: { type: 'object', additionalProperties: false, properties: { any: stringList, all: stringList, none: stringList } },
    kfAccounts: stringList,
    channels: stringList,
    customerTags: { type: 'object', additionalProperties: false, properties: { any: stringList, all: stringList } },
    timeOfDay: {
      type: 'object',
      additionalProperties: false,
      required: ['ranges'],
      properties: {
        ranges: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['start', 'end'], properties: { start: { type: 'string' }, end: { type: 'string' } } } },
        weekdays: { type: 'array', items: weekday },
        timezone: { type: 'string' },
      },
    },
    customerTimezones: stringList,
  },
} as const;

const targetSchema = {
  anyOf: [
    { type: 'object', additionalProperties: false, required: ['group'], properties: { group: { type: 'string', minLength: 1 }, strategy } },
    { type: 'object', additionalProperties: false, required: ['servicer'], properties: { servicer: { type: 'string', minLength: 1 } } },
  ],
} as const;

/** Deepest nesting of the tree the schema accepts (root nodes are level 1). */
export const MAX_TREE_DEPTH = 8;

/** A node schema nesting `depth` levels, written out without `$ref` (so the OpenAPI document stays self-contained). */
function nodeSchema(depth: number): object {
  const children = () => ({ type: 'object', additionalProperties: false, required: ['children'], properties: { children: { type: 'array', items: nodeSchema(depth - 1) } } });
  return {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'name', 'when', 'then'],
    properties: {
      id: { type: 'string', minLength: 1 },
      name: { type: 'string', minLength: 1 },
      when: conditionSchema,
      then: depth > 1 ? { anyOf: [...targetSchema.anyOf, children()] } : targetSchema,
    },
  };
}

const groupSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'members', 'strategy'],
  description: '接待组',
  properties: {
    id: { type: 'string', minLength: 1 },
    name: { type: 'string', minLength: 1 },
    members: { type: 'array', items: { type: 'string' }, description: 'servicer userids in 接待顺序 (reception order)' },
    strategy,
    shift: weeklyScheduleSchema,
    supervisorCap: { type: 'integer', minimum: 1, description: 'most open complaints per supervisor of this group' },
  },
} as const;

const routingConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['groups', 'tree', 'complaintPhrases'],
  description: `RoutingConfig (camelCase as in the routing model). Tree nodes nest up to ${MAX_TREE_DEPTH} levels.`,
  properties: {
    groups: { type: 'array', items: groupSchema },
    tree: {
      type: 'object',
      additionalProperties: false,
      required: ['timezone', 'nodes'],
      properties: { timezone: { type: 'string', description: 'default timezone of timeOfDay conditions' }, nodes: { type: 'array', items: nodeSchema(MAX_TREE_DEPTH) } },
    },
    dutyFallback: { ...targetSchema, description: '夜间值班: where conversations go when the target has nobody on duty; absent = the waiting pool' },
    complaintPhrases: { type: 'array', items: { type: 'string', maxLength: 50 }, description: '投诉 phrases: supervisors first' },
  },
} as const;

const versionSchema = {
  type: 'object',
  properties: {
    version: { type: 'integer', description: '0 = nothing saved yet (the default configuration)' },
    config: { type: 'object', additionalProperties: true },
    author: { type: 'string' },
    note: { type: ['string', 'null'] },
    created_at: { type: 'integer', description: 'ms since epoch' },
  },
} as const;

const holidaysJsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['dates'],
  properties: {
    dates: { type: 'array', items: { type: 'string' }, description: '节假日: local dates YYYY-MM-DD off all day' },
    workdays: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['date', 'like'], properties: { date: { type: 'string' }, like: weekday } }, description: '调休: dates worked like another weekday' },
  },
} as const;

// ---------------------------------------------------------------- domain checks

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
function isDate(s: string): boolean {
  const t = Date.parse(`${s}T00:00:00Z`);
  return ISO_DATE.test(s) && !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

/** Everything wrong with a configuration, each naming the group, node or field; empty when it can be saved. */
export function routingConfigProblems(config: RoutingConfig, servicers: readonly Servicer[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const known = new Set(servicers.map((s) => s.userid));
  const seen = new Set<string>();
  for (const g of config.groups) {
    const field = `groups[${g.id}]`;
    if (seen.has(g.id)) problems.push({ field, message: `group id "${g.id}" is used twice; give every group its own id.` });
    seen.add(g.id);
    const unknown = g.members.filter((m) => !known.has(m));
    if (unknown.length) problems.push({ field: `${field}.members`, message: `group ${g.name} lists unknown servicers [${unknown.join(', ')}]; sync servicers (POST /api/servicers/sync) or remove them.` });
    const repeated = [...new Set(g.members.filter((m, i) => g.members.indexOf(m) !== i))];
    if (repeated.length) problems.push({ field: `${field}.members`, message: `group ${g.name} lists [${repeated.join(', ')}] more than once; each member appears once in the reception order.` });
    if (g.shift) for (const m of validateSchedule(g.shift)) problems.push({ field: `${field}.shift`, message: m });
  }
  for (const p of validateTree(config.tree, config.groups, servicers)) {
    if (p.kind === 'unknown_member' || p.kind === 'duplicate_member') continue; // reported per group above
    problems.push({ field: p.nodeId === '' ? 'tree.timezone' : `tree.nodes[${p.path}]`, message: p.message });
  }
  if (config.dutyFallback) {
    const probe = { timezone: 'UTC', nodes: [{ id: 'dutyFallback', name: 'dutyFallback', when: {}, then: config.dutyFallback }] };
    for (const p of validateTree(probe, config.groups, servicers)) {
      if (p.kind === 'unknown_member' || p.kind === 'duplicate_member') continue;
      problems.push({ field: 'dutyFallback', message: p.message });
    }
  }
  return problems;
}

/**
 * Schema errors name array positions ("config.tree.nodes[0].then.children[1].when"); the console
 * and the domain checks name groups by id and nodes by their path of names ("tree.nodes[合同 › 华东].when").
 */
export function nameConfigField(field: string, config: unknown): string {
  const f = field.replace(/^config\./, '');
  const at = (xs: unknown, i: number): Record<string, unknown> | undefined => (Array.isArray(xs) && xs[i] && typeof xs[i] === 'object' ? (xs[i] as Record<string, unknown>) : undefined);
  const cfg = (config ?? {}) as Record<string, unknown>;
  const group = /^groups\[(\d+)\](.*)$/.exec(f);
  if (group) {
    const g = at(cfg.groups, Number(group[1]));
    return typeof g?.id === 'string' && g.id ? `groups[${g.id}]${group[2]}` : f;
  }
  const node = /^tree\.nodes\[(\d+)\]((?:\.then\.children\[\d+\])*)(.*)$/.exec(f);
  if (!node) return f;
  const indexes = [Number(node[1]), ...[...(node[2] ?? '').matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]))];
  const names: string[] = [];
  let list: unknown = (cfg.tree as Record<string, unknown> | undefined)?.nodes;
  for (const i of indexes) {
    const n = at(list, i);
    if (!n) return f;
    names.push(typeof n.name === 'string' && n.name ? n.name : typeof n.id === 'string' && n.id ? n.id : `#${i + 1}`);
    list = (n.then as Record<string, unknown> | undefined)?.children;
  }
  return `tree.nodes[${names.join(' › ')}]${node[3] ?? ''}`;
}

type SchemaError = Parameters<typeof describeValidation>[1][number] & { schemaPath?: string };

/** Which alternative of a Target-or-children `then` (or `dutyFallback`) the data means: 0 group, 1 servicer, 2 children. */
function branchOf(v: unknown): number {
  if (v && typeof v === 'object') {
    if ('children' in v) return 2;
    if ('servicer' in v) return 1;
  }
  return 0;
}

/**
 * Keeps only the errors of the alternative the data is meant to be: a `then` with `children` is
 * not also told it lacks `group` and `servicer`. Each "then/anyOf/k" in the schema path pairs with
 * the matching "then" step of the data path, in order.
 */
export function relevantSchemaErrors(errors: readonly SchemaError[], body: unknown): SchemaError[] {
  return errors.filter((e) => {
    const choices = [...(e.schemaPath ?? '').matchAll(/\/(?:then|dutyFallback)\/anyOf\/(\d+)/g)].map((m) => Number(m[1]));
    if (!choices.length) return true;
    const values: unknown[] = [];
    let cur: unknown = body;
    for (const seg of e.instancePath.split('/').slice(1)) {
      cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
      if (seg === 'then' || seg === 'dutyFallback') values.push(cur);
    }
    return choices.every((k, i) => i >= values.length || branchOf(values[i]) === k);
  });
}

function fail(what: string, details: FieldProblem[]): never {
  throw new ApiError(400, `${what}: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, details);
}

/**
 * Who saved a version: the authenticated principal (the operator whose token it is, or "admin" for
 * WEREPLY_ADMIN_TOKEN). Never a client-supplied header: anyone could name someone else there.
 */
function authorOf(req: FastifyRequest): string {
  return req.principal.name;
}

function servicerJson(s: StoredServicer) {
  return { ...s, shift: s.shift ?? null };
}

function calendarProblems(c: HolidayCalendar, label: (kind: 'dates' | 'workdays', i: number) => string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  c.dates.forEach((d, i) => isDate(d) || problems.push({ field: label('dates', i), message: `"${d}" is not a date YYYY-MM-DD.` }));
  c.workdays.forEach((w, i) => isDate(w.date) || problems.push({ field: label('workdays', i), message: `"${w.date}" is not a date YYYY-MM-DD.` }));
  const holidays = new Set(c.dates);
  c.workdays.forEach((w, i) => holidays.has(w.date) && problems.push({ field: label('workdays', i), message: `${w.date} is listed both as a holiday and as a 调休 workday; keep one.` }));
  return problems;
}

/** The schedule with the calendar merged in: holidays added, 调休 days set (the calendar wins for its dates). */
export function withCalendar(schedule: WeeklySchedule, c: HolidayCalendar): WeeklySchedule {
  const workdayDates = new Set(c.workdays.map((w) => w.date));
  const holidays = [...new Set([...(schedule.holidays ?? []).filter((d) => !workdayDates.has(d)), ...c.dates])].sort();
  const holidaySet = new Set(c.dates);
  const extra = new Map((schedule.extraWorkdays ?? []).filter((e) => !holidaySet.has(e.date)).map((e) => [e.date, e]));
  for (const w of c.workdays) extra.set(w.date, w);
  const extraWorkdays = [...extra.values()].sort((a, b) => a.date.localeCompare(b.date));
  return { ...schedule, ...(holidays.length ? { holidays } : {}), ...(extraWorkdays.length ? { extraWorkdays } : {}) };
}

// ---------------------------------------------------------------- routes

export async function routingRoutes(app: FastifyInstance, s: Services): Promise<void> {
  const db = s.store.db;
  const tz = s.config.timezone;

  /**
   * Every read-check-save of the routing configuration runs here, one at a time (SQLite has one
   * connection; PostgreSQL takes a transaction-scoped advisory lock, also across instances), so two
   * edits cannot both start from the same version and silently drop one another.
   */
  const editRouting = <T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> =>
    db.transaction().execute(async (trx) => {
      if (s.store.engine === 'postgres') await sql`select pg_advisory_xact_lock(hashtext('wereply.routing_config'))`.execute(trx);
      return fn(trx);
    });

  async function getServicer(userid: string, from: Db = db): Promise<StoredServicer> {
    const row = await from.selectFrom('servicers').selectAll().where('userid', '=', userid).executeTakeFirst();
    if (!row) throw new ApiError(404, `servicer ${userid} does not exist; sync servicers from WeCom with POST /api/servicers/sync`);
    return servicerFromRow(row);
  }

  // -------------------------------------------------------------- servicers

  app.get('/api/servicers', { config: { permission: 'read' }, schema: { tags: ['routing'], summary: '接待人员, by userid', response: { 200: { type: 'array', items: servicerSchema } } } }, async () =>
    (await listServicers(db)).map(servicerJson),
  );

  app.get(
    '/api/servicers/departments',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['routing'],
        summary: 'Departments listed as 接待人员 (kf/servicer/list), as the last sync found them: expanded to their members, or not and why',
        response: { 200: { type: 'array', items: departmentSchema } },
      },
    },
    async () => servicerDepartments(db),
  );

  const useridParams = { type: 'object', required: ['userid'], properties: { userid: { type: 'string', minLength: 1 } } } as const;

  app.get<{ Params: { userid: string } }>(
    '/api/servicers/:userid',
    { config: { permission: 'read' }, schema: { tags: ['routing'], summary: 'One 接待人员', params: useridParams, response: { 200: servicerSchema, 404: errorSchema } } },
    async (req) => servicerJson(await getServicer(req.params.userid)),
  );

  interface ServicerPatch {
    name?: string;
    receptionCap?: number;
    supervisor?: boolean;
    status?: 'active' | 'departed';
    timezone?: string;
    shift?: WeeklySchedule | null;
    groups?: string[];
  }

  app.patch<{ Params: { userid: string }; Body: ServicerPatch }>(
    '/api/servicers/:userid',
    {
      config: { permission: 'routing:write' },
      schema: {
        tags: ['routing'],
        summary: 'Change a 接待人员: name, receptionCap (接待上限), supervisor, status (departed = 离职), timezone, shift, groups',
        description: 'Answers the servicer with `warnings`: problems the change causes in the routing configuration in force (e.g. a tree node targeting a servicer who has now left).',
        params: useridParams,
        body: servicerPatchSchema,
        response: { 200: { ...servicerSchema, properties: { ...servicerSchema.properties, warnings: { type: 'array', items: { type: 'string' } } } }, 400: errorSchema, 404: errorSchema },
      },
    },
    async (req) => {
      const answer = await editRouting(async (trx) => {
        const before = await getServicer(req.params.userid, trx);
        const b = req.body;
        const problems: FieldProblem[] = [];
        if (b.timezone !== undefined && !isValidTimeZone(b.timezone)) problems.push({ field: 'timezone', message: `"${b.timezone}" is not an IANA timezone such as Asia/Shanghai.` });
        if (b.shift) for (const m of validateSchedule(b.shift)) problems.push({ field: 'shift', message: m });
        const routing = await currentRouting(trx, tz);
        let config: RoutingConfig | null = null;
        if (b.groups) {
          const ids = new Set(routing.config.groups.map((g) => g.id));
          const unknown = b.groups.filter((g) => !ids.has(g));
          if (unknown.length) problems.push({ field: 'groups', message: `unknown groups [${unknown.join(', ')}]; create them in the routing configuration (PUT /api/routing) first.` });
          const wanted = new Set(b.groups);
          const groups = routing.config.groups.map((g) => {
            const has = g.members.includes(before.userid);
            if (wanted.has(g.id) && !has) return { ...g, members: [...g.members, before.userid] };
            if (!wanted.has(g.id) && has) return { ...g, members: g.members.filter((m) => m !== before.userid) };
            return g;
          });
          if (groups.some((g, i) => g !== routing.config.groups[i])) config = { ...routing.config, groups };
        }
        if (problems.length) fail(`invalid change to servicer ${before.userid}`, problems);

        const after: StoredServicer = {
          ...before,
          ...(b.name !== undefined ? { name: b.name } : {}),
          ...(b.receptionCap !== undefined ? { receptionCap: b.receptionCap } : {}),
          ...(b.supervisor !== undefined ? { supervisor: b.supervisor } : {}),
          ...(b.status !== undefined ? { status: b.status } : {}),
          ...(b.timezone !== undefined ? { timezone: b.timezone } : {}),
        };
        if (b.shift === null) delete after.shift;
        else if (b.shift) after.shift = b.shift;
        const servicers = (await listServicers(trx)).map((x) => (x.userid === after.userid ? after : x));
        const effective = config ?? routing.config;
        if (config) {
          // Leaving a group must not leave the tree pointing at a group with nobody in it.
          const introduced = routingConfigProblems(config, servicers).filter((p) => !routingConfigProblems(routing.config, servicers).some((q) => q.message === p.message));
          if (introduced.length) fail(`changing the groups of ${before.userid} would break the routing configuration`, introduced.map((p) => ({ field: 'groups', message: p.message })));
        }
        await trx
          .updateTable('servicers')
          .set({
            name: after.name,
            reception_cap: after.receptionCap,
            supervisor: after.supervisor ? 1 : 0,
            status: after.status,
            timezone: after.timezone,
            shift: after.shift ? JSON.stringify(after.shift) : null,
            updated_at: Date.now(),
          })
          .where('userid', '=', after.userid)
          .execute();
        if (config) {
          await saveRouting(trx, config, authorOf(req), `groups of ${after.userid} set to [${b.groups?.join(', ')}]`);
        }
        const warnings = routingConfigProblems(effective, servicers).map((p) => `${p.field}: ${p.message}`);
        return { ...servicerJson(await getServicer(after.userid, trx)), warnings };
      });
      // 离职: their open sessions are routed to someone else, each reassignment recorded.
      if (req.body.status === 'departed') await reassignDeparted(s.store, [req.params.userid], (await handoffSettings(s.store.db)).waiting_message);
      return answer;
    },
  );

  app.post<{ Body: { open_kfids?: string[] } | undefined }>(
    '/api/servicers/sync',
    {
      config: { permission: 'routing:write' },
      // The body is optional: a POST without one pulls the known accounts.
      preValidation: async (req) => {
        req.body ??= {};
      },
      schema: {
        tags: ['routing'],
        summary: 'Pull 接待人员 from WeCom (kf/servicer/list) for every known kf account, plus open_kfids from the body',
        description:
          'Known accounts: those with conversations, a sync cursor, or servicers recorded on them. New servicers: 接待上限 10, active, receiving per their WeCom status. ' +
          'Servicers listed on no account are marked departed (离职), but only when every account answered. A departed servicer WeCom still lists stays departed (listedButDeparted). ' +
          'Departments listed as 接待人员 ({"department_id": N} entries) are expanded to their members with the contact API (user/simplelist); one the app may not view (60011) or read (48002) is answered in departments with expanded: false and the reason, and nobody on its accounts is marked departed meanwhile.',
        body: { type: 'object', additionalProperties: false, properties: { open_kfids: { type: 'array', items: { type: 'string', minLength: 1 } } } },
        response: {
          200: {
            type: 'object',
            properties: {
              accounts: { type: 'array', items: { type: 'string' } },
              added: { type: 'array', items: { type: 'string' } },
              updated: { type: 'array', items: { type: 'string' } },
              departed: { type: 'array', items: { type: 'string' } },
              listedButDeparted: { type: 'array', items: { type: 'string' } },
              failed: { type: 'array', items: { type: 'object', properties: { open_kfid: { type: 'string' }, error: { type: 'string' } } } },
              departments: { type: 'array', items: departmentSchema },
            },
          },
          503: errorSchema,
        },
      },
    },
    async (req) => {
      if (!s.wecom) throw new ApiError(503, 'WeCom is not configured, so 接待人员 cannot be pulled; set WECOM_CORP_ID, WECOM_KF_SECRET, WECOM_TOKEN and WECOM_ENCODING_AES_KEY and restart');
      const result = await syncServicers(s.wecom, db, { openKfids: req.body?.open_kfids ?? [], timezone: tz });
      await reassignDeparted(s.store, result.departed, (await handoffSettings(db)).waiting_message);
      return result;
    },
  );

  // -------------------------------------------------------------- routing configuration

  app.get('/api/routing', { config: { permission: 'read' }, schema: { tags: ['routing'], summary: 'The routing configuration in force (groups, tree, dutyFallback, complaintPhrases) and its version', response: { 200: versionSchema } } }, async () =>
    currentRouting(db, tz),
  );

  app.put<{ Body: { config: RoutingConfig; note?: string; baseVersion?: number } }>(
    '/api/routing',
    {
      config: { permission: 'routing:write' },
      schema: {
        tags: ['routing'],
        summary: 'Save a new version of the routing configuration (the author recorded is the signed-in operator, "admin" for the admin token)',
        description:
          'Rejected with 400 when a node targets an unknown group or servicer, a departed servicer or a group with nobody who can receive, when a branch is unreachable or can never match, ' +
          'when a group lists unknown servicers or has a bad shift; details[].field names the group ("groups[法务].members") or the node by its path ("tree.nodes[合同 › 华东]").',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['config'],
          properties: {
            config: routingConfigSchema,
            note: { type: 'string', maxLength: 500 },
            baseVersion: { type: 'integer', minimum: 0, description: 'the version this edit started from; 409 when someone saved another version since' },
          },
        },
        response: { 200: versionSchema, 400: errorSchema, 409: errorSchema },
      },
      attachValidation: true,
    },
    async (req) => {
      const invalid = req.validationError as (Error & { validation?: SchemaError[] }) | undefined;
      if (invalid) {
        const body = req.body as { config?: unknown } | undefined;
        const errors = relevantSchemaErrors((invalid.validation ?? []) as SchemaError[], body);
        const details = describeValidation('body', errors).map((d) => ({ ...d, field: nameConfigField(d.field, body?.config) }));
        fail('invalid routing configuration', details.length ? details : [{ field: 'body', message: invalid.message }]);
      }
      const { baseVersion } = req.body;
      const config: RoutingConfig = {
        ...req.body.config,
        complaintPhrases: [...new Set(req.body.config.complaintPhrases.map((p) => p.trim()).filter(Boolean))],
      };
      return editRouting(async (trx) => {
        if (baseVersion !== undefined) {
          const current = await currentRouting(trx, tz);
          if (current.version !== baseVersion) {
            throw new ApiError(409, `the routing configuration changed since version ${baseVersion} (now version ${current.version}, saved by ${current.author}); reload it and apply your edit again`);
          }
        }
        const problems = routingConfigProblems(config, await listServicers(trx));
        if (problems.length) fail('invalid routing configuration', problems);
        return saveRouting(trx, config, authorOf(req), req.body.note?.trim() || null);
      });
    },
  );

  app.get<{ Querystring: { limit?: number; full?: boolean } }>(
    '/api/routing/versions',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['routing'],
        summary: 'Saved versions, newest first: version, author, note, created_at; the config too with ?full=true',
        querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, full: { type: 'boolean', default: false } } },
        response: { 200: { type: 'array', items: versionSchema } },
      },
    },
    async (req) => {
      const versions = await routingVersions(db, req.query.limit ?? 50);
      return req.query.full ? versions : versions.map(({ config: _config, ...v }) => v);
    },
  );

  app.post<{ Params: { version: number } }>(
    '/api/routing/versions/:version/restore',
    {
      config: { permission: 'routing:write' },
      schema: {
        tags: ['routing'],
        summary: 'Save an earlier version\'s configuration again as a new version (note "restored from vN")',
        description: 'The old configuration is validated against today\'s servicers first: a version that now targets a departed servicer answers 400 naming the node.',
        params: { type: 'object', required: ['version'], properties: { version: { type: 'integer', minimum: 1 } } },
        response: { 200: versionSchema, 400: errorSchema, 404: errorSchema },
      },
    },
    async (req) => {
      const v = req.params.version;
      return editRouting(async (trx) => {
        const row = await trx.selectFrom('routing_versions').select('config').where('id', '=', v).executeTakeFirst();
        if (!row) throw new ApiError(404, `routing version ${v} does not exist; GET /api/routing/versions lists them`);
        const config = JSON.parse(row.config) as RoutingConfig;
        const problems = routingConfigProblems(config, await listServicers(trx));
        if (problems.length) fail(`version ${v} no longer fits today's servicers; fix it and save it with PUT /api/routing`, problems);
        return saveRouting(trx, config, authorOf(req), `restored from v${v}`);
      });
    },
  );

  // -------------------------------------------------------------- shifts

  app.get(
    '/api/shifts',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['routing'],
        summary: '排班 in one view: every servicer\'s and every group\'s shift (null = always on duty)',
        response: {
          200: {
            type: 'object',
            properties: {
              version: { type: 'integer', description: 'routing version the group shifts come from' },
              servicers: { type: 'object', additionalProperties: { anyOf: [weeklyScheduleSchema, { type: 'null' }] } },
              groups: { type: 'object', additionalProperties: { anyOf: [weeklyScheduleSchema, { type: 'null' }] } },
            },
          },
        },
      },
    },
    async () => {
      const routing = await currentRouting(db, tz);
      return {
        version: routing.version,
        servicers: Object.fromEntries((await listServicers(db)).map((x) => [x.userid, x.shift ?? null])),
        groups: Object.fromEntries(routing.config.groups.map((g) => [g.id, g.shift ?? null])),
      };
    },
  );

  // Encapsulated so the text/csv parser applies to this route only.
  await app.register(async (scoped) => {
    scoped.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_req, body, done) => done(null, body));
    scoped.put<{ Body: string | { dates: string[]; workdays?: { date: string; like: Weekday }[] } }>(
      '/api/shifts/holidays',
      {
        config: { permission: 'routing:write' },
        schema: {
          tags: ['routing'],
          summary: 'Import a holiday calendar (节假日 and 调休) into every servicer\'s and group\'s shift',
          description:
            'JSON {dates, workdays?} or text/csv with one date per line, or "date,like" for a 调休 day worked like weekday `like` (1 = Monday … 7 = Sunday). ' +
            'Merged into every existing shift (servicers and groups without a shift are always on duty and are left alone); groups change in a new routing version. ' +
            'A bad row answers 400 naming it ("row 3") and changes nothing.',
          body: { content: { 'application/json': { schema: holidaysJsonSchema }, 'text/csv': { schema: { type: 'string' } } } },
          response: {
            200: {
              type: 'object',
              properties: {
                holidays: { type: 'integer' },
                workdays: { type: 'integer' },
                servicers: { type: 'array', items: { type: 'string' }, description: 'servicers whose shift changed' },
                groups: { type: 'array', items: { type: 'string' }, description: 'groups whose shift changed' },
                version: { type: ['integer', 'null'], description: 'the new routing version, null when no group has a shift' },
              },
            },
            400: errorSchema,
          },
        },
      },
      async (req) => {
        let calendar: HolidayCalendar;
        if (typeof req.body === 'string') {
          const parsed = await s.imports.parse('holiday-csv', { text: req.body }).catch(refuseFile);
          if (parsed.problems.length) fail('invalid holiday calendar; nothing was changed', parsed.problems);
          calendar = parsed.calendar;
          const dup = calendarProblems(calendar, (kind, i) => `${kind}[${i}]`);
          if (dup.length) fail('invalid holiday calendar; nothing was changed', dup);
        } else {
          calendar = { dates: req.body.dates, workdays: req.body.workdays ?? [] };
          const problems = calendarProblems(calendar, (kind, i) => `${kind}[${i}]`);
          if (problems.length) fail('invalid holiday calendar; nothing was changed', problems);
        }
        const now = Date.now();
        return editRouting(async (trx) => {
          const changedServicers: string[] = [];
          for (const x of await listServicers(trx)) {
            if (!x.shift) continue;
            const shift = withCalendar(x.shift, calendar);
            if (JSON.stringify(shift) === JSON.stringify(x.shift)) continue;
            await trx.updateTable('servicers').set({ shift: JSON.stringify(shift), updated_at: now }).where('userid', '=', x.userid).execute();
            changedServicers.push(x.userid);
          }
          const routing = await currentRouting(trx, tz);
          const changedGroups: string[] = [];
          const groups = routing.config.groups.map((g) => {
            if (!g.shift) return g;
            const shift = withCalendar(g.shift, calendar);
            if (JSON.stringify(shift) === JSON.stringify(g.shift)) return g;
            changedGroups.push(g.id);
            return { ...g, shift };
          });
          const saved = changedGroups.length
            ? await saveRouting(trx, { ...routing.config, groups }, authorOf(req), `holiday calendar: ${calendar.dates.length} holidays, ${calendar.workdays.length} 调休 days`)
            : null;
          return { holidays: calendar.dates.length, workdays: calendar.workdays.length, servicers: changedServicers, groups: changedGroups, version: saved?.version ?? null };
        });
      },
    );
  });
}
