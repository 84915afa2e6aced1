/**
 * Schema migrations, written once for both engines with Kysely's schema builder.
 * Add a new entry for every change; never edit one that has shipped.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Engine } from './database.js';
import { foldName } from '../operators/names.js';

function migrations(engine: Engine): Record<string, Migration> {
  // An auto-increment primary key spelled the way each engine wants it.
  const id = engine === 'postgres' ? ('bigserial' as const) : ('integer' as const);
  const idOpts = (c: any) => (engine === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
  const ms = 'bigint' as const;

  return {
    '0001_spine': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('kf_callbacks')
          .addColumn('id', id, idOpts)
          .addColumn('event_key', 'text', (c) => c.notNull().unique())
          .addColumn('open_kfid', 'text', (c) => c.notNull())
          .addColumn('sync_token', 'text')
          .addColumn('create_time', ms, (c) => c.notNull())
          .addColumn('received_at', ms, (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('jobs')
          .addColumn('id', id, idOpts)
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('key', 'text', (c) => c.notNull().unique())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('run_at', ms, (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('locked_by', 'text')
          .addColumn('locked_until', ms)
          .addColumn('last_error', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('jobs_run_at').on('jobs').columns(['run_at']).execute();

        await db.schema
          .createTable('kf_cursors')
          .addColumn('open_kfid', 'text', (c) => c.primaryKey())
          .addColumn('cursor', 'text', (c) => c.notNull())
          .addColumn('updated_at', ms, (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('conversations')
          .addColumn('id', id, idOpts)
          .addColumn('channel', 'text', (c) => c.notNull())
          .addColumn('open_kfid', 'text', (c) => c.notNull())
          .addColumn('external_userid', 'text', (c) => c.notNull())
          .addColumn('last_customer_msg_at', ms)
          .addColumn('sent_since_customer_msg', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('last_any_reply_at', ms)
          .addColumn('unmatched_streak', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('updated_at', ms, (c) => c.notNull())
          .addUniqueConstraint('conversations_peer', ['channel', 'open_kfid', 'external_userid'])
          .execute();

        await db.schema
          .createTable('customers')
          .addColumn('external_userid', 'text', (c) => c.primaryKey())
          .addColumn('test_account', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('name', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('updated_at', ms, (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('messages')
          .addColumn('id', id, idOpts)
          .addColumn('msgid', 'text', (c) => c.notNull().unique())
          .addColumn('conversation_id', ms, (c) => c.notNull())
          .addColumn('open_kfid', 'text', (c) => c.notNull())
          .addColumn('external_userid', 'text', (c) => c.notNull())
          .addColumn('origin', 'integer', (c) => c.notNull())
          .addColumn('msgtype', 'text', (c) => c.notNull())
          .addColumn('text', 'text')
          .addColumn('raw', 'text', (c) => c.notNull())
          .addColumn('decision', 'text')
          .addColumn('send_time', ms, (c) => c.notNull())
          .addColumn('received_at', ms, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('messages_conversation').on('messages').columns(['conversation_id', 'id']).execute();
        await db.schema.createIndex('messages_received').on('messages').columns(['received_at']).execute();

        await db.schema
          .createTable('rules')
          .addColumn('id', id, idOpts)
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('match', 'text')
          .addColumn('reply', 'text', (c) => c.notNull())
          .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('stop', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('active_hours', 'text')
          .addColumn('cooldown_seconds', 'integer')
          .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('status', 'text', (c) => c.notNull().defaultTo('live'))
          .addColumn('hit_count', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('updated_at', ms, (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('outbox')
          .addColumn('id', id, idOpts)
          .addColumn('conversation_id', ms, (c) => c.notNull())
          .addColumn('api', 'text', (c) => c.notNull())
          .addColumn('msgid', 'text', (c) => c.notNull().unique())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', ms, (c) => c.notNull())
          .addColumn('locked_by', 'text')
          .addColumn('locked_until', ms)
          .addColumn('last_errcode', 'integer')
          .addColumn('reason', 'text')
          .addColumn('source_msgid', 'text')
          .addColumn('rule_id', ms)
          .addColumn('caused_at', ms, (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('sent_at', ms)
          .execute();
        await db.schema.createIndex('outbox_due').on('outbox').columns(['status', 'next_attempt_at']).execute();
        await db.schema.createIndex('outbox_conversation').on('outbox').columns(['conversation_id', 'id']).execute();

        await db.schema
          .createTable('outbox_attempts')
          .addColumn('id', id, idOpts)
          .addColumn('outbox_id', ms, (c) => c.notNull())
          .addColumn('started_at', ms, (c) => c.notNull())
          .addColumn('finished_at', ms)
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('errcode', 'integer')
          .addColumn('error', 'text')
          .execute();
        await db.schema.createIndex('outbox_attempts_outbox').on('outbox_attempts').columns(['outbox_id']).execute();

        await db.schema
          .createTable('materials')
          .addColumn('id', id, idOpts)
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('filename', 'text', (c) => c.notNull())
          .addColumn('mime', 'text', (c) => c.notNull())
          .addColumn('size', ms, (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('path', 'text', (c) => c.notNull())
          .addColumn('media_id', 'text')
          .addColumn('media_uploaded_at', ms)
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('access_tokens')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('token', 'text', (c) => c.notNull())
          .addColumn('expires_at', ms, (c) => c.notNull())
          .addColumn('updated_at', ms, (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('settings')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0002_outbox_partial_indexes': {
      // The outbox worker looks only at unfinished rows: the head of each conversation and the
      // rows ready to go. Partial indexes keep those lookups small however many rows were sent.
      async up(db: Kysely<any>) {
        await sql`CREATE INDEX outbox_unfinished_by_conversation ON outbox (conversation_id, id) WHERE status IN ('pending', 'retry', 'sending')`.execute(db);
        await sql`CREATE INDEX outbox_unfinished_by_priority ON outbox (priority DESC, id) WHERE status IN ('pending', 'retry', 'sending')`.execute(db);
        // The claim walks the partial index in priority order and stops at its LIMIT; with this index
        // present the planner preferred it and sorted every due row (cost grew with the backlog).
        await db.schema.dropIndex('outbox_due').execute();
      },
    },
    '0003_routing': {
      // 接待人员, the versioned routing configuration (groups, tree, fallback), round-robin state,
      // every assignment with its reason, and who holds each conversation now.
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('servicers')
          .addColumn('userid', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('open_kfids', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('groups', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('reception_cap', 'integer', (c) => c.notNull().defaultTo(10))
          .addColumn('supervisor', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
          .addColumn('receiving', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('timezone', 'text', (c) => c.notNull().defaultTo('Asia/Shanghai'))
          .addColumn('shift', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('updated_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('routing_versions')
          .addColumn('id', id, idOpts)
          .addColumn('config', 'text', (c) => c.notNull())
          .addColumn('author', 'text', (c) => c.notNull())
          .addColumn('note', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('routing_state')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .addColumn('updated_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('assignments')
          .addColumn('id', id, idOpts)
          .addColumn('conversation_id', ms, (c) => c.notNull())
          .addColumn('servicer_userid', 'text')
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('trace', 'text')
          .addColumn('follow_up', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('assignments_conversation').on('assignments').columns(['conversation_id', 'id']).execute();
        await db.schema.alterTable('conversations').addColumn('servicer_userid', 'text').execute();
        await db.schema.alterTable('conversations').addColumn('service_state', 'integer').execute();
        await db.schema.alterTable('conversations').addColumn('complaint', 'integer', (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.alterTable('conversations').addColumn('last_servicer_userid', 'text').execute();
        await db.schema.alterTable('conversations').addColumn('waiting_since', ms).execute();
        await db.schema.createIndex('conversations_servicer').on('conversations').columns(['servicer_userid', 'service_state']).execute();
        // Customer attributes routing reads: tags (region, VIP…) and the customer's own timezone.
        await db.schema.alterTable('customers').addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]')).execute();
        await db.schema.alterTable('customers').addColumn('timezone', 'text').execute();
        // Which instance made each attempt (several share the work on PostgreSQL).
        await db.schema.alterTable('outbox_attempts').addColumn('worker', 'text').execute();
      },
    },
    '0004_compliance': {
      // The compliance guard: the organisation's own risk words and edits of shipped ones, texts an
      // admin approved despite block findings, the audit log, agent messages waiting for 二次确认,
      // and operator accounts with roles (who may see PII, who may override).
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('risk_word_edits')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('patch', 'text', (c) => c.notNull())
          .addColumn('updated_by', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('updated_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('compliance_approvals')
          .addColumn('id', id, idOpts)
          .addColumn('text_sha256', 'text', (c) => c.notNull())
          .addColumn('word_ids', 'text', (c) => c.notNull())
          .addColumn('approved_by', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('compliance_approvals_text').on('compliance_approvals').columns(['text_sha256']).execute();
        await db.schema
          .createTable('compliance_audit')
          .addColumn('id', id, idOpts)
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('subject_type', 'text', (c) => c.notNull())
          .addColumn('subject_id', 'text')
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('text', 'text')
          .addColumn('findings', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('reason', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('compliance_audit_created').on('compliance_audit').columns(['created_at', 'id']).execute();
        await db.schema
          .createTable('agent_messages')
          .addColumn('id', id, idOpts)
          .addColumn('conversation_id', ms, (c) => c.notNull())
          .addColumn('author', 'text', (c) => c.notNull())
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('findings', 'text', (c) => c.notNull())
          .addColumn('token_sha256', 'text', (c) => c.notNull().unique())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('outbox_id', ms)
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('expires_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('operators')
          .addColumn('id', id, idOpts)
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('token_sha256', 'text', (c) => c.notNull().unique())
          .addColumn('servicer_userid', 'text')
          .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();
      },
    },
    '0005_outbox_sent_at': {
      // The inbox's change feed asks "what was sent since" once a second: an index, not a scan.
      async up(db: Kysely<any>) {
        await db.schema.createIndex('outbox_sent_at').on('outbox').columns(['sent_at']).execute();
      },
    },
    '0007_outbox_allowance': {
      // 微信客服's 5 messages / 48 h: which allowance a send used is decided from when WeCom accepted it
      // (accepted_at, the start of the call that succeeded) against the customer's messages' send_time,
      // not from a counter bumped when the outcome is recorded. A reply that does not fit waits
      // (status 'waiting_allowance') for a customer message stored after allowance_after (a messages.id).
      async up(db: Kysely<any>) {
        await db.schema.alterTable('outbox').addColumn('accepted_at', ms).execute();
        await db.schema.alterTable('outbox').addColumn('allowance_after', ms).execute();
        // Sends of the last 48 h keep counting: their successful attempt's start is when they were accepted.
        const since = Date.now() - 48 * 3600_000;
        await sql`
          UPDATE outbox SET accepted_at = (
            SELECT MAX(a.started_at) FROM outbox_attempts a WHERE a.outbox_id = outbox.id AND a.outcome = 'ok')
          WHERE api = 'send_msg' AND status = 'sent' AND sent_at >= ${since}`.execute(db);
        await sql`CREATE INDEX outbox_accepted_by_conversation ON outbox (conversation_id, accepted_at) WHERE accepted_at IS NOT NULL`.execute(db);
        await sql`CREATE INDEX outbox_waiting_by_conversation ON outbox (conversation_id, id) WHERE status = 'waiting_allowance'`.execute(db);
        // The customer's newest message of a conversation and when it was pulled (store/allowance-repo.ts).
        await sql`CREATE INDEX messages_customer_by_conversation ON messages (conversation_id, send_time, id) WHERE origin = 3`.execute(db);
      },
    },
    '0009_sessions': {
      // Console sign-ins: a session token per browser, with an expiry, rotated by /api/sessions/refresh.
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('sessions')
          .addColumn('id', id, idOpts)
          .addColumn('operator_id', 'bigint', (c) => c.notNull())
          .addColumn('token_sha256', 'text', (c) => c.notNull().unique())
          .addColumn('remember', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('expires_at', ms, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('sessions_operator').on('sessions').columns(['operator_id']).execute();
        // Operator names compared as a person sees them (look-alikes fold together), unique: of two
        // look-alike names created at once only one is accepted. Existing look-alikes keep working.
        await db.schema.alterTable('operators').addColumn('name_key', 'text').execute();
        const seen = new Set<string>();
        for (const o of await db.selectFrom('operators').select(['id', 'name']).orderBy('id').execute()) {
          let key = foldName(String(o.name));
          if (seen.has(key)) key = `${key}#${o.id}`;
          seen.add(key);
          await db.updateTable('operators').set({ name_key: key }).where('id', '=', o.id).execute();
        }
        await db.schema.createIndex('operators_name_fold').on('operators').column('name_key').unique().execute();
      },
    },
    '0010_regex_budget': {
      // Per regex rule: how often a pattern hit its time limit, or was skipped because the message's
      // regex budget was spent; shown in the rules list and editor (GET /api/rules: regex_health).
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('regex_rule_stats')
          .addColumn('rule_id', 'bigint', (c) => c.primaryKey())
          .addColumn('timeouts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('budget_skips', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('last_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    '0011_desk': {
      // Where people answer (the desk): WeReply's inbox ('wereply', the session stays with the API in
      // state 1) or the WeCom client ('wecom', state 3). The desk that applied is recorded on the
      // conversation and on each assignment, so history stays true after the configuration changes
      // (the configuration itself is the 'desks' setting). Operators' presence feeds routing for the
      // WeReply desk: 'online' counts only while the console's heartbeat keeps coming.
      async up(db: Kysely<any>) {
        await db.schema.alterTable('conversations').addColumn('desk', 'text').execute();
        await db.schema.alterTable('assignments').addColumn('desk', 'text').execute();
        await db.schema.alterTable('operators').addColumn('presence', 'text', (c) => c.notNull().defaultTo('away')).execute();
        await db.schema.alterTable('operators').addColumn('presence_seen_at', ms).execute();
      },
    },
    '0012_servicer_messages': {
      // Messages servicers send from the WeCom client (origin 5): who sent them and what the
      // after-the-fact compliance scan found; alerts for the ones that break the rules (block words,
      // personal data the organisation holds back), with their acknowledgement and app-message state.
      async up(db: Kysely<any>) {
        await db.schema.alterTable('messages').addColumn('servicer_userid', 'text').execute();
        await db.schema.alterTable('messages').addColumn('findings', 'text').execute();
        await db.schema.createIndex('messages_servicer').on('messages').columns(['servicer_userid', 'send_time']).execute();
        await db.schema
          .createTable('alerts')
          .addColumn('id', id, idOpts)
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('severity', 'text', (c) => c.notNull())
          .addColumn('conversation_id', 'bigint', (c) => c.notNull())
          .addColumn('message_id', 'bigint', (c) => c.notNull())
          .addColumn('servicer_userid', 'text')
          .addColumn('findings', 'text', (c) => c.notNull())
          .addColumn('text', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('acknowledged_by', 'text')
          .addColumn('acknowledged_at', ms)
          .addColumn('ack_note', 'text')
          .addColumn('notify_status', 'text', (c) => c.notNull().defaultTo('pending'))
          .addColumn('notify_detail', 'text')
          .addColumn('notified_at', ms)
          .execute();
        // One alert per message and kind: a message pulled twice cannot raise a second one.
        await db.schema.createIndex('alerts_message_kind').on('alerts').columns(['message_id', 'kind']).unique().execute();
        await db.schema.createIndex('alerts_open').on('alerts').columns(['acknowledged_at', 'id']).execute();
      },
    },
    '0013_sign_in': {
      // People sign in as themselves: a password the admin sets (scrypt hash with its salt and cost),
      // failed attempts counted per name and per address (lockout), and one-use tickets: the state of a
      // 企业微信扫码登录 bound to the browser that started it, and the short code that hands the session
      // to the console after WeCom's redirect (no session token in a URL).
      async up(db: Kysely<any>) {
        await db.schema.alterTable('operators').addColumn('password_hash', 'text').execute();
        await db.schema.alterTable('operators').addColumn('password_set_at', ms).execute();
        await db.schema
          .createTable('sign_in_failures')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('fails', 'integer', (c) => c.notNull())
          .addColumn('locked_until', ms, (c) => c.notNull())
          .addColumn('last_at', ms, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('sign_in_tickets')
          .addColumn('ticket_sha256', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('operator_id', 'bigint')
          .addColumn('remember', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('browser_sha256', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('expires_at', ms, (c) => c.notNull())
          .execute();
      },
    },
  };
}

/**
 * `schema` (PostgreSQL): where the migration bookkeeping lives. Kysely otherwise takes a table of
 * that name in ANY schema as its own, so a second database in another schema would skip creating it.
 */
export async function migrateToLatest(db: Kysely<any>, engine: Engine, schema?: string): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(engine) };
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String((error as Error)?.message ?? error)}`);
  }
}

/** The migrations this version has that the database has not run yet (`wereply doctor`). */
export async function pendingMigrations(db: Kysely<any>, engine: Engine, schema?: string): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(engine) };
  const migrator = new Migrator({ db, provider, ...(schema ? { migrationTableSchema: schema } : {}) });
  return (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
}
