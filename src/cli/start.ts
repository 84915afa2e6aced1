/**
 * `wereply start` (`npm start`). With WeCom settings: the real corp. Without: demo mode — the bundled
 * mock WeCom starts beside WeReply (PORT+1), demo rules are loaded, and the admin token is printed.
 */
import { createWeReply } from '../app.js';
import type { Config } from '../config.js';
import { seedDemo } from './demo-seed.js';
import { DEMO_OPERATORS, seedDemoOperators } from './demo-operators.js';

export async function startCommand(config: Config): Promise<number> {
  let mock: { url: string; close(): Promise<void> } | undefined;
  if (config.demo && process.env.DATABASE_URL) {
    process.stderr.write('wereply: demo mode (no WECOM_* settings) ignores DATABASE_URL and REDIS_URL: demo data stays in its own SQLite file.\n');
  }
  if (config.demo) {
    const { startMockWeCom } = await import('../../tools/mock-wecom/server.js');
    const mockPort = Number(process.env.MOCK_WECOM_PORT ?? config.port + 1);
    const m = await startMockWeCom({
      port: mockPort,
      openKfIds: ['wkDemoKf0001'],
      callbackUrl: `http://127.0.0.1:${config.port}/wecom/kf/callback`,
    });
    mock = m;
    config = {
      ...config,
      wecom: { corpId: m.credentials.corpId, kfSecret: m.credentials.kfSecret, token: m.credentials.token, encodingAESKey: m.credentials.encodingAESKey, apiBase: m.url, agentId: m.credentials.agentId },
    };
  }
  const wereply = await createWeReply(config);
  if (config.demo) {
    // The bundled mock starts empty each time: a pull cursor from an earlier run means nothing to it.
    await wereply.store.db.deleteFrom('kf_cursors').execute();
    if (await seedDemo(wereply.store.db, wereply.materials)) wereply.log.info('demo rules loaded');
    await seedDemoOperators(wereply.store.db);
  }
  const url = await wereply.listen();
  const local = url.replace('0.0.0.0', 'localhost').replace('[::]', 'localhost');
  const lines = [
    '',
    `  WeReply is running on ${local}  (${wereply.store.engine === 'sqlite' ? `SQLite ${wereply.store.file}` : 'PostgreSQL'}${config.demo ? '; demo data only — WeCom mode uses its own database' : ''})`,
    `  Console:   ${local}/          (控制台; sign in with the admin token)`,
    `  API docs:  ${local}/docs     health: ${local}/healthz     metrics: ${local}/metrics`,
  ];
  if (config.demo) {
    lines.push(
      `  Demo mode: mock WeCom on ${mock!.url} (no WECOM_* settings found)`,
      `  Admin token (this run): ${config.adminToken}`,
      `  Sign in as the demo agent 小王: name ${DEMO_OPERATORS[0].name}, password ${DEMO_OPERATORS[0].password}   (supervisor: ${DEMO_OPERATORS[1].name} / ${DEMO_OPERATORS[1].password};`,
      `    or 企业微信扫码登录 on the login page: the mock lets you pick ${DEMO_OPERATORS[0].servicer_userid})`,
      '',
      '  Try it (in another terminal):',
      '    npx wereply send "我想退货"            # a customer writes through the mock; the auto-reply is printed',
      '    npx wereply send "耳机坏了 转人工" --user wmAfterSales   # 转人工: to the demo agent in WeReply\'s inbox (signed in, 在线)',
      '    npx wereply simulate "会员价格多少"     # the sandbox: which rule would answer, and why',
      `    curl -H "Authorization: Bearer ${config.adminToken}" ${local}/api/rules`,
      `    curl -H "Authorization: Bearer ${config.adminToken}" -H 'content-type: application/json' -d '{"text":"全网最优惠，保证提分！"}' ${local}/api/compliance/scan`,
    );
  } else {
    const publicUrl = process.env.WEREPLY_PUBLIC_URL?.replace(/\/+$/, '') || 'https://<your-host>';
    lines.push(`  WeCom callback URL to configure: ${publicUrl}/wecom/kf/callback   (check the setup: npx wereply doctor)`);
  }
  process.stdout.write(lines.join('\n') + '\n\n');

  return waitForStop(config.shutdownTimeoutMs, async (signal) => {
    wereply.log.info({ signal, timeout_ms: config.shutdownTimeoutMs }, 'stopping: callbacks answered 503, finishing the sends in flight');
    const { forced, inFlight } = await wereply.close({ timeoutMs: config.shutdownTimeoutMs });
    await mock?.close();
    if (forced) {
      wereply.log.warn({ outbox_in_flight: inFlight }, 'stopped before all work in flight finished; it is recorded and is repeated once at the next start');
      // Calls still waiting for WeCom would keep the process alive until their own timeout.
      setImmediate(() => process.exit(0));
    } else {
      wereply.log.info('stopped');
    }
  });
}

/**
 * Resolves with the exit code once `stop` has run after SIGTERM or SIGINT. Exits anyway (code 0: what
 * was in flight is recorded in the outbox, so a forced stop is safe) shortly after the timeout; a second
 * signal exits at once (code 1).
 */
export function waitForStop(timeoutMs: number, stop: (signal: string) => Promise<void>): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: string) => {
      if (stopping) {
        process.stderr.write(`wereply: ${signal} again: exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      // The graceful path gives up at the timeout itself; this is the last resort if closing hangs.
      setTimeout(() => {
        process.stderr.write(`wereply: not stopped ${timeoutMs + 2000} ms after ${signal}: exiting anyway\n`);
        process.exit(0);
      }, timeoutMs + 2000).unref();
      stop(signal).then(
        () => resolve(0),
        (err: unknown) => {
          process.stderr.write(`wereply: stopping failed: ${String((err as Error)?.stack ?? err)}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
