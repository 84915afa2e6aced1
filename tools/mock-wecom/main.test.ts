import { describe, expect, it } from 'vitest';
import { parseMockWeComArgs, runMockWeComCli } from './main.js';
import { callApi } from './testkit.js';

describe('mock-wecom CLI', () => {
  it('reads flags, falling back to MOCK_WECOM_* variables', () => {
    const { options } = parseMockWeComArgs(
      ['--port', '0', '--callback-url=http://127.0.0.1:3000/wecom/kf/callback', '--open-kfids', 'wkA, wkB'],
      { MOCK_WECOM_CORP_ID: 'ww_env', MOCK_WECOM_PORT: '9999', MOCK_WECOM_RETRY_DELAY_MS: '10' },
    );
    expect(options).toMatchObject({
      port: 0,
      corpId: 'ww_env',
      callbackUrl: 'http://127.0.0.1:3000/wecom/kf/callback',
      openKfIds: ['wkA', 'wkB'],
      callbackRetryDelayMs: 10,
    });
    expect(() => parseMockWeComArgs(['--nope'], {})).toThrow(/unknown option/);
    expect(() => parseMockWeComArgs(['--port', 'x'], {})).toThrow(/number/);
  });

  it('starts a working mock and prints the settings WeReply needs', async () => {
    const lines: string[] = [];
    const mock = await runMockWeComCli(['--port', '0', '--corp-id', 'ww_cli'], (l) => lines.push(l));
    try {
      expect(lines.join('\n')).toContain(`WECOM_API_BASE=${mock!.url}`);
      expect(lines.join('\n')).toContain('WECOM_CORP_ID=ww_cli');
      const r = await callApi(mock!.url, '/cgi-bin/gettoken', { query: { corpid: 'ww_cli', corpsecret: 'mock-kf-secret' } });
      expect(r.json.errcode).toBe(0);
    } finally {
      await mock!.close();
    }
  });
});
