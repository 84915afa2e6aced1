import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { leaseTiming } from './jobs/lease.js';

describe('configuration from the environment', () => {
  it('WEREPLY_LEASE_SECONDS sets the lease of claimed work; the heartbeat follows it', () => {
    const cfg = loadConfig({ WEREPLY_LEASE_SECONDS: '2' });
    expect(cfg.leaseSeconds).toBe(2);
    expect(leaseTiming({ leaseMs: cfg.leaseSeconds! * 1000 })).toEqual({ leaseMs: 2000, heartbeatMs: 666 });
    expect(loadConfig({}).leaseSeconds).toBeUndefined();
  });

  it('refuses durations that are not positive numbers, naming the setting', () => {
    for (const name of ['WEREPLY_LEASE_SECONDS', 'WEREPLY_SHUTDOWN_TIMEOUT_SECONDS', 'WEREPLY_ALLOWANCE_MAX_WAIT_SECONDS', 'WEREPLY_REGEX_BUDGET_MS']) {
      for (const bad of ['0', '-1', 'soon']) {
        expect(() => loadConfig({ [name]: bad })).toThrow(ConfigError);
        expect(() => loadConfig({ [name]: bad })).toThrow(new RegExp(name));
      }
    }
  });

  it('WECOM_AGENT_ID is the app\'s numeric AgentId, optional', () => {
    const wecom = { WECOM_CORP_ID: 'ww1', WECOM_KF_SECRET: 's', WECOM_TOKEN: 't', WECOM_ENCODING_AES_KEY: 'a'.repeat(43), WEREPLY_ADMIN_TOKEN: 'x' };
    expect(loadConfig(wecom).wecom?.agentId).toBeUndefined();
    expect(loadConfig({ ...wecom, WECOM_AGENT_ID: '1000002' }).wecom?.agentId).toBe('1000002');
    expect(() => loadConfig({ ...wecom, WECOM_AGENT_ID: 'app' })).toThrow(/WECOM_AGENT_ID/);
  });

  it('WEREPLY_PUBLIC_URL and WECOM_LOGIN_BASE are plain http(s) URLs, kept without a trailing slash', () => {
    expect(loadConfig({}).publicUrl).toBeUndefined();
    expect(loadConfig({ WEREPLY_PUBLIC_URL: 'https://kf.example.com/' }).publicUrl).toBe('https://kf.example.com');
    expect(loadConfig({ WEREPLY_PUBLIC_URL: 'https://example.com/wereply/' }).publicUrl).toBe('https://example.com/wereply');
    for (const bad of ['kf.example.com', 'ftp://kf.example.com', 'https://kf.example.com/?a=1', 'https://u:p@kf.example.com']) {
      expect(() => loadConfig({ WEREPLY_PUBLIC_URL: bad })).toThrow(/WEREPLY_PUBLIC_URL must be/);
    }
    const wecom = { WECOM_CORP_ID: 'ww1', WECOM_KF_SECRET: 's', WECOM_TOKEN: 't', WECOM_ENCODING_AES_KEY: 'a'.repeat(43), WEREPLY_ADMIN_TOKEN: 'x' };
    expect(loadConfig({ ...wecom, WECOM_LOGIN_BASE: 'http://127.0.0.1:4000/' }).wecom?.loginBase).toBe('http://127.0.0.1:4000');
    expect(() => loadConfig({ ...wecom, WECOM_LOGIN_BASE: 'nope' })).toThrow(/WECOM_LOGIN_BASE/);
  });
});
