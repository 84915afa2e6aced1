/**
 * JSON schemas of the rules API: the validation, the OpenAPI document and the contract at once.
 * Semantic checks the schema cannot express (regex safety, byte limits, kind-specific fields)
 * live in validate-rule.ts.
 */
const keywordList = {
  type: 'array',
  minItems: 1,
  maxItems: 500,
  items: { type: 'string', minLength: 1, maxLength: 100 },
} as const;

export const ruleMatchSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Conditions on the normalised message (trimmed, lower-case, full-width folded). All given conditions must hold.',
  properties: {
    exact: { ...keywordList, description: 'the whole message equals one of these' },
    any: { ...keywordList, description: 'contains at least one of these' },
    all: { ...keywordList, description: 'contains every one of these' },
    none: { ...keywordList, description: 'contains none of these' },
    command: { ...keywordList, description: '"#退货"-style commands (with or without the leading #)' },
    regex: { ...keywordList, maxItems: 20, items: { type: 'string', minLength: 1, maxLength: 500 }, description: 'JavaScript regular expressions' },
  },
} as const;

const hhmm = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' } as const;

export const activeHoursSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    timezone: { type: 'string', description: 'IANA timezone; the corp timezone when absent' },
    weekdays: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 1, maximum: 7 }, description: '1 = Monday … 7 = Sunday' },
    ranges: {
      type: 'array',
      minItems: 1,
      items: { type: 'object', additionalProperties: false, required: ['start', 'end'], properties: { start: hhmm, end: hhmm } },
    },
    invert: { type: 'boolean', description: 'fire outside these hours (off-hours variant)' },
  },
} as const;

const materialId = { type: 'integer', minimum: 1 } as const;

const menuItemSchema = {
  type: 'object',
  required: ['type', 'content'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', enum: ['click', 'view', 'miniprogram', 'text'] },
    id: { type: 'string', maxLength: 64 },
    content: { type: 'string', minLength: 1, maxLength: 1024 },
    url: { type: 'string', maxLength: 2048 },
    appid: { type: 'string', maxLength: 64 },
    pagepath: { type: 'string', maxLength: 1024 },
  },
} as const;

export const replyItemSchema = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  description: 'One WeCom message. Media refer to uploaded materials (POST /api/materials).',
  properties: {
    type: { type: 'string', enum: ['text', 'image', 'video', 'file', 'link', 'miniprogram', 'menu', 'handoff'] },
    text: { type: 'string', minLength: 1 },
    material_id: materialId,
    title: { type: 'string', minLength: 1, maxLength: 128 },
    desc: { type: 'string', maxLength: 512 },
    url: { type: 'string', minLength: 1, maxLength: 2048 },
    thumb_material_id: materialId,
    appid: { type: 'string', minLength: 1, maxLength: 64 },
    pagepath: { type: 'string', minLength: 1, maxLength: 1024 },
    head: { type: 'string', maxLength: 1024 },
    items: { type: 'array', minItems: 1, maxItems: 10, items: menuItemSchema },
    tail: { type: 'string', maxLength: 1024 },
    route: {
      type: 'object',
      description: 'handoff only: a group or a servicer; absent = the routing rules decide',
      additionalProperties: false,
      properties: { group: { type: 'string', minLength: 1, maxLength: 64 }, servicer: { type: 'string', minLength: 1, maxLength: 64 } },
      minProperties: 1,
      maxProperties: 1,
    },
  },
} as const;

export const handoffSettingsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['phrases', 'after_unmatched', 'waiting_message'],
  properties: {
    phrases: { type: 'array', maxItems: 100, items: { type: 'string', minLength: 1, maxLength: 50 }, description: 'a message containing one of these asks for a person (转人工)' },
    after_unmatched: { type: 'integer', minimum: 0, maximum: 100, description: 'hand off after this many unmatched customer messages in a row; 0 = never' },
    waiting_message: { type: 'string', minLength: 1, maxLength: 600, description: 'told to the customer on handoff' },
  },
} as const;

const ruleProperties = {
  name: { type: 'string', minLength: 1, maxLength: 100 },
  kind: { type: 'string', enum: ['keyword', 'any_message', 'welcome'], default: 'keyword' },
  match: ruleMatchSchema,
  reply: { type: 'array', minItems: 1, items: replyItemSchema },
  priority: { type: 'integer', minimum: -1000000, maximum: 1000000, description: 'higher fires first' },
  stop: { type: 'boolean', description: 'stop after this rule fired (default true); false lets lower-priority rules add their replies' },
  active_hours: { anyOf: [activeHoursSchema, { type: 'null' }] },
  cooldown_seconds: { anyOf: [{ type: 'integer', minimum: 0, maximum: 30 * 86400 }, { type: 'null' }] },
  enabled: { type: 'boolean' },
  status: { type: 'string', enum: ['live', 'draft'], description: 'draft rules fire only for test accounts (测试账号)' },
} as const;

export const ruleCreateSchema = {
  type: 'object',
  required: ['name', 'reply'],
  additionalProperties: false,
  properties: ruleProperties,
} as const;

export const ruleUpdateSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: ruleProperties,
} as const;

export const ruleSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    ...ruleProperties,
    match: { anyOf: [ruleMatchSchema, { type: 'null' }] },
    hit_count: { type: 'integer' },
    created_at: { type: 'integer' },
    updated_at: { type: 'integer' },
    regex_health: {
      description: 'Regex rules only: messages on which a pattern hit its time limit (timeouts) or the rule was skipped because the message\'s regex budget was spent (budget_skips); null when neither ever happened',
      anyOf: [
        {
          type: 'object',
          properties: { timeouts: { type: 'integer' }, budget_skips: { type: 'integer' }, last_at: { type: 'integer', description: 'ms since epoch' } },
        },
        { type: 'null' },
      ],
    },
  },
} as const;

export const broadKeywordWarningSchema = {
  type: 'object',
  properties: {
    keyword: { type: 'string' },
    field: { type: 'string' },
    reason: { type: 'string' },
    share: { type: 'number', description: 'share of customer messages of the last 30 days it matches (0..1)' },
    sample_size: { type: 'integer' },
    suggestion: { type: 'string' },
  },
} as const;
