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
});
