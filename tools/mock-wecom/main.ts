/**
 * Standalone entry: `node dist/tools/mock-wecom/main.js --port 4000 --callback-url http://127.0.0.1:3000/wecom/kf/callback`.
 * WeReply's CLI calls runMockWeComCli(argv) for `npx wereply mock-wecom`.
 * Flags win over environment variables (MOCK_WECOM_PORT, MOCK_WECOM_CALLBACK_URL, ...).
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { startMockWeCom, type MockWeCom, type MockWeComOptions } from './server.js';

const USAGE = `mock-wecom: a faithful mock of WeCom 微信客服 for demos and tests

Options (environment variable in brackets):
  --port <n>                 port, 0 = random (default 4000)       [MOCK_WECOM_PORT]
  --host <addr>              listen address (default 127.0.0.1)    [MOCK_WECOM_HOST]
  --callback-url <url>       WeReply's callback URL                 [MOCK_WECOM_CALLBACK_URL]
  --corp-id <id>             CorpID (default ww_mock_corp)         [MOCK_WECOM_CORP_ID]
  --kf-secret <s>            微信客服 secret (default mock-kf-secret) [MOCK_WECOM_KF_SECRET]
  --token <s>                callback Token (default mockToken)    [MOCK_WECOM_TOKEN]
  --aes-key <43 chars>       EncodingAESKey                         [MOCK_WECOM_AES_KEY]
  --open-kfids <a,b>         微信客服 accounts (default wkMockKf0001) [MOCK_WECOM_OPEN_KFIDS]
  --retry-delay-ms <n>       callback retry delay (default 5000)   [MOCK_WECOM_RETRY_DELAY_MS]
  --callback-timeout-ms <n>  callback timeout (default 5000)       [MOCK_WECOM_CALLBACK_TIMEOUT_MS]
  --token-ttl <seconds>      access_token lifetime (default 7200)  [MOCK_WECOM_TOKEN_TTL]
  --sync-without-token <n>   sync_msg calls/min without a token (default 10000; real WeCom ~10)
                                                                   [MOCK_WECOM_SYNC_WITHOUT_TOKEN]
  --verify                   run URL verification against the callback URL after start
  -h, --help                 this help
`;

const FLAGS: Record<string, string> = {
  '--port': 'MOCK_WECOM_PORT',
  '--host': 'MOCK_WECOM_HOST',
  '--callback-url': 'MOCK_WECOM_CALLBACK_URL',
  '--corp-id': 'MOCK_WECOM_CORP_ID',
  '--kf-secret': 'MOCK_WECOM_KF_SECRET',
  '--token': 'MOCK_WECOM_TOKEN',
  '--aes-key': 'MOCK_WECOM_AES_KEY',
  '--open-kfids': 'MOCK_WECOM_OPEN_KFIDS',
  '--retry-delay-ms': 'MOCK_WECOM_RETRY_DELAY_MS',
  '--callback-timeout-ms': 'MOCK_WECOM_CALLBACK_TIMEOUT_MS',
  '--token-ttl': 'MOCK_WECOM_TOKEN_TTL',
  '--sync-without-token': 'MOCK_WECOM_SYNC_WITHOUT_TOKEN',
};

export interface ParsedCli {
  options: MockWeComOptions;
  verify: boolean;
  help: boolean;
}

/** Reads flags (`--x v` or `--x=v`) and falls back to MOCK_WECOM_* environment variables. */
export function parseMockWeComArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedCli {
  const values: Record<string, string> = {};
  let verify = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (arg === '--verify') {
      verify = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!(name in FLAGS)) throw new Error(`unknown option ${arg}; see --help`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new Error(`${name} needs a value`);
    values[name] = value;
  }
  const get = (flag: string): string | undefined => values[flag] ?? env[FLAGS[flag] as string] ?? undefined;
  const num = (flag: string): number | undefined => {
    const v = get(flag);
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} must be a number >= 0, got ${v}`);
    return n;
  };
  const options: MockWeComOptions = { port: num('--port') ?? 4000 };
  const str = (flag: string, key: 'host' | 'callbackUrl' | 'corpId' | 'kfSecret' | 'token' | 'encodingAESKey'): void => {
    const v = get(flag);
    if (v) options[key] = v;
  };
  str('--host', 'host');
  str('--callback-url', 'callbackUrl');
  str('--corp-id', 'corpId');
  str('--kf-secret', 'kfSecret');
  str('--token', 'token');
  str('--aes-key', 'encodingAESKey');
  const kfids = get('--open-kfids');
  if (kfids) options.openKfIds = kfids.split(',').map((s) => s.trim()).filter(Boolean);
  const retry = num('--retry-delay-ms');
  if (retry !== undefined) options.callbackRetryDelayMs = retry;
  const timeout = num('--callback-timeout-ms');
  if (timeout !== undefined) options.callbackTimeoutMs = timeout;
  const ttl = num('--token-ttl');
  if (ttl !== undefined) options.accessTokenTtlSeconds = ttl;
  const noToken = num('--sync-without-token');
  if (noToken !== undefined) options.syncWithoutTokenPerMinute = noToken;
  return { options, verify, help };
}

/** What a user needs to point WeReply at the mock. */
export function describeMock(mock: MockWeCom): string {
  const c = mock.credentials;
  return [
    `mock WeCom listening on ${mock.url}`,
    `callback URL: ${mock.callbackUrl ?? '(none yet: POST /mock/callback-url {"url": ...})'}`,
    '',
    'Point WeReply at it with:',
    `  WECOM_API_BASE=${mock.url}`,
    `  WECOM_CORP_ID=${c.corpId}`,
    `  WECOM_KF_SECRET=${c.kfSecret}`,
    `  WECOM_TOKEN=${c.token}`,
    `  WECOM_ENCODING_AES_KEY=${c.encodingAESKey}`,
    `  open_kfid: ${c.openKfIds.join(', ')}`,
    '',
    'Make a customer write:',
    `  curl -s -X POST ${mock.url}/mock/customer-message -H 'content-type: application/json' \\`,
    `       -d '{"external_userid":"wmDemoCustomer","text":"你好"}'`,
    `See what WeReply sent: curl -s ${mock.url}/mock/sent`,
  ].join('\n');
}

/**
 * Starts the mock from command-line arguments and prints how to use it. Returns the running mock
 * (undefined for --help); stops it on SIGINT/SIGTERM.
 */
export async function runMockWeComCli(
  argv: string[],
  out: (line: string) => void = (l) => console.log(l),
): Promise<MockWeCom | undefined> {
  const { options, verify, help } = parseMockWeComArgs(argv);
  if (help) {
    out(USAGE);
    return undefined;
  }
  const mock = await startMockWeCom(options);
  out(describeMock(mock));
  if (verify) {
    const r = await mock.verifyCallbackUrl();
    out(r.ok ? `URL verification: ok (${r.latencyMs} ms)` : `URL verification FAILED: expected ${r.expected}, got ${r.status ?? r.error} ${JSON.stringify(r.body ?? '')}`);
  }
  const stop = (): void => {
    void mock.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return mock;
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  runMockWeComCli(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`mock-wecom: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
