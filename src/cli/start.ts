/**
 * `wereply start` (`npm start`). With WeCom settings: the real corp. Without: demo mode — the bundled
 * mock WeCom starts beside WeReply (PORT+1), demo rules are loaded, and the admin token is printed.
 */
import { createWeReply } from '../app.js';
import type { Config } from '../config.js';
import { seedDemo } from './demo-seed.js';

export async function startCommand(config: Config): Promise<number> {
  let mock: { url: string; close(): Promise<void> } | undefined;
  if (config.demo) {
    const { startMockWeCom } = await import('../../tools/mock-wecom/server.js');
    const mockPort = Number(process.env.MOCK_WECOM_PORT ?? config.port + 1);
    const m = await startMockWeCom({
      port: mockPort,
      openKfIds: ['wkDemoKf0001'],
      callbackUrl: `http://127.0.0.1:${config.port}/wecom/kf/callback`,
    });
    mock = m;
    config = { ...config, wecom: { corpId: m.credentials.corpId, kfSecret: m.credentials.kfSecret, token: m.credentials.token, encodingAESKey: m.credentials.encodingAESKey, apiBase: m.url } };
  }
  const wereply = await createWeReply(config);
  if (config.demo) {
    // The bundled mock starts empty each time: a pull cursor from an earlier run means nothing to it.
    await wereply.store.db.deleteFrom('kf_cursors').execute();
    if (await seedDemo(wereply.store.db, wereply.materials)) wereply.log.info('demo rules loaded');
  }
  const url = await wereply.listen();
  const local = url.replace('0.0.0.0', 'localhost').replace('[::]', 'localhost');
  const lines = [
    '',
    `  WeReply is running on ${local}  (${wereply.store.engine === 'sqlite' ? `SQLite ${wereply.store.file}` : 'PostgreSQL'})`,
    `  Console:   ${local}/          (控制台; sign in with the admin token)`,
    `  API docs:  ${local}/docs     health: ${local}/healthz     metrics: ${local}/metrics`,
  ];
  if (config.demo) {
    lines.push(
      `  Demo mode: mock WeCom on ${mock!.url} (no WECOM_* settings found)`,
      `  Admin token (this run): ${config.adminToken}`,
      '',
      '  Try it (in another terminal):',
      '    npx wereply send "我想退货"            # a customer writes through the mock; the auto-reply is printed',
      '    npx wereply send "耳机坏了 转人工" --user wmAfterSales   # 转人工: routed to a servicer',
      '    npx wereply simulate "会员价格多少"     # the sandbox: which rule would answer, and why',
      `    curl -H "Authorization: Bearer ${config.adminToken}" ${local}/api/rules`,
      `    curl -H "Authorization: Bearer ${config.adminToken}" -H 'content-type: application/json' -d '{"text":"全网最优惠，保证提分！"}' ${local}/api/compliance/scan`,
    );
  } else {
    lines.push(`  WeCom callback URL to configure: https://<your-host>/wecom/kf/callback`);
  }
  process.stdout.write(lines.join('\n') + '\n\n');

  await new Promise<void>((resolve) => {
    const stop = async (signal: string) => {
      wereply.log.info({ signal }, 'stopping');
      await wereply.close();
      await mock?.close();
      resolve();
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });
  return 0;
}
