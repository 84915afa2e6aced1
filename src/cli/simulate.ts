/**
 * `wereply simulate "我要退货"`: the sandbox from the command line, reading the same database.
 */
import { RuleCache } from '../pipeline/rule-cache.js';
import { simulate } from '../pipeline/simulate.js';
import type { Config } from '../config.js';
import { openStore } from '../store/database.js';

export async function simulateCommand(
  config: Config,
  text: string,
  o: { user?: string; 'test-account'?: boolean; at?: string; welcome?: boolean; json?: boolean; route?: boolean },
): Promise<number> {
  if (!text && !o.welcome) {
    process.stderr.write('usage: wereply simulate "<customer message>" [--user ID] [--test-account] [--at ISO-TIME] [--welcome] [--json]\n');
    return 1;
  }
  const store = await openStore({ dataDir: config.dataDir, sqliteFile: config.sqliteFile, ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}) });
  try {
    const trace = await simulate(store, config.timezone, new RuleCache(store.db, config.timezone, 1000, { regexBudgetMs: config.regexBudgetMs }), {
      text,
      ...(o.user ? { external_userid: o.user } : {}),
      ...(o['test-account'] ? { test_account: true } : {}),
      ...(o.at ? { at: o.at } : {}),
      ...(o.welcome ? { event: 'enter_session' as const } : {}),
      ...(o.route ? { route: true } : {}),
    });
    if (o.json) {
      process.stdout.write(JSON.stringify(trace, null, 2) + '\n');
      return 0;
    }
    const out: string[] = [];
    out.push(`message: ${JSON.stringify(text)}  (normalised: ${JSON.stringify(trace.normalized_text)}, at ${trace.at}${trace.test_account ? ', test account' : ''})`);
    if (trace.matched.length === 0) out.push('matched: no rule');
    for (const m of trace.matched) out.push(`matched: #${m.rule_id} ${m.name}  [${m.kind}${m.keyword ? `: ${m.keyword}` : ''}]`);
    trace.replies.forEach((r, i) => out.push(`reply ${i + 1}: ${describeReply(r.reply)}`));
    for (const s of trace.skipped) out.push(`skipped: #${s.rule.id} ${s.rule.name} — ${s.reason}: ${s.detail}`);
    if (trace.handoff) out.push(`handoff (转人工): ${trace.handoff.detail}`);
    if (trace.routing) {
      const r = trace.routing;
      out.push(`routing: ${r.chosen ? `→ ${r.chosen}` : '→ waiting pool'} — ${r.reason}`);
      for (const c of r.candidates) out.push(`  candidate ${c.userid}${c.group ? ` (${c.group})` : ''}: ${c.eligible ? 'available' : c.reason}`);
    }
    process.stdout.write(out.join('\n') + '\n');
    return 0;
  } finally {
    await store.close();
  }
}

function describeReply(r: { type: string } & Record<string, unknown>): string {
  switch (r.type) {
    case 'text':
      return `text ${JSON.stringify(r.text)}`;
    case 'menu':
      return `menu ${JSON.stringify(r.head ?? '')} [${(r.items as { content: string }[]).map((i) => i.content).join(' | ')}]`;
    case 'link':
      return `link ${JSON.stringify(r.title)} ${String(r.url)}`;
    default:
      return `${r.type} (material ${String(r.material_id ?? r.thumb_material_id)})`;
  }
}
