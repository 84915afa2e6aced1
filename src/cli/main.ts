/**
 * `wereply <command>`: start | simulate | send | mock-wecom | doctor | backup | restore | demo-reset.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { startCommand } from './start.js';
import { simulateCommand } from './simulate.js';
import { sendCommand } from './send.js';

const HELP = `WeReply — WeCom 微信客服 auto-reply

Usage:
  wereply start                       start the server (demo mode with a bundled mock WeCom when WECOM_* is not set)
  wereply simulate "我要退货" [--user ID] [--test-account] [--at ISO-TIME] [--welcome] [--route] [--json]
                                      show what WeReply would answer, without sending
  wereply send "我要退货" [--user ID] [--mock URL]
                                      demo: a customer writes through the mock WeCom; prints the replies
  wereply mock-wecom [--port 4000] [--callback-url URL]
                                      run the mock WeCom server on its own
  wereply doctor                      check the production setup (configuration, database, callback URL as
                                      WeCom calls it, gettoken, 企业可信IP, clock, Redis); exit 1 on failure
  wereply backup [--out FILE]         online backup of the SQLite database (safe while WeReply runs)
  wereply restore FILE [--force]      put a backup in place of ./data/wereply.sqlite (refused while running)
  wereply demo-reset                  remove demo data from the WeCom-mode database (keeps rules you made or edited)
`;

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // A .env file in the working folder configures WeReply; variables already set win.
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    switch (command) {
      case 'start':
        return await startCommand(loadConfig());
      case 'simulate': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { user: { type: 'string' }, 'test-account': { type: 'boolean' }, at: { type: 'string' }, welcome: { type: 'boolean' }, json: { type: 'boolean' }, route: { type: 'boolean' } },
        });
        return await simulateCommand(loadConfig(), positionals.join(' '), values);
      }
      case 'send': {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { user: { type: 'string' }, mock: { type: 'string' }, timeout: { type: 'string' } } });
        return await sendCommand(positionals.join(' '), values);
      }
      case 'doctor': {
        const { doctorCommand } = await import('./doctor.js');
        return await doctorCommand();
      }
      case 'backup': {
        const { values } = parseArgs({ args: rest, options: { out: { type: 'string' }, db: { type: 'string' } } });
        const { backupCommand } = await import('./backup.js');
        return await backupCommand(values);
      }
      case 'restore': {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { force: { type: 'boolean' } } });
        const { restoreCommand } = await import('./backup.js');
        return await restoreCommand(positionals[0], values);
      }
      case 'demo-reset': {
        const { demoResetCommand } = await import('./demo-reset.js');
        return await demoResetCommand();
      }
      case 'mock-wecom': {
        const { runMockWeComCli } = await import('../../tools/mock-wecom/main.js');
        await runMockWeComCli(rest);
        return 0;
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        return command ? 0 : 1;
      default:
        process.stderr.write(`unknown command "${command}"\n\n${HELP}`);
        return 1;
    }
  } catch (err) {
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`wereply: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
}
