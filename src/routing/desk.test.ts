import { describe, expect, it } from 'vitest';
import { chooseDesk, DEFAULT_DESK_CONFIG, isPresent } from './desk.js';
import { servicerEligibility } from './eligibility.js';

describe('chooseDesk', () => {
  const config = { default: 'wecom' as const, accounts: { kfA: 'wereply' as const }, groups: { vip: 'wecom' as const, night: 'wereply' as const } };
  it('existing installs answer in the WeCom client (the default)', () => {
    expect(chooseDesk(DEFAULT_DESK_CONFIG, 'kfAny', { group: 'g' }).desk).toBe('wecom');
  });
  it('the account decides, and a routing group named by the tree overrides it', () => {
    expect(chooseDesk(config, 'kfA', null)).toMatchObject({ desk: 'wereply', reason: expect.stringContaining('kfA') });
    expect(chooseDesk(config, 'kfA', { group: 'vip' })).toMatchObject({ desk: 'wecom', reason: expect.stringContaining('vip') });
    expect(chooseDesk(config, 'kfB', { group: 'night' }).desk).toBe('wereply');
    expect(chooseDesk(config, 'kfB', { servicer: 'u1' }).desk).toBe('wecom');
  });
});

describe('presence', () => {
  it('counts only while online with a heartbeat within the timeout', () => {
    expect(isPresent('online', 1000, 1000 + 90_000, 90_000)).toBe(true);
    expect(isPresent('online', 1000, 1000 + 90_001, 90_000)).toBe(false);
    expect(isPresent('away', 1000, 1000, 90_000)).toBe(false);
    expect(isPresent('online', null, 1000, 90_000)).toBe(false);
  });
  it('an away agent is skipped by routing with its own reason', () => {
    const sv = { userid: 'u', name: 'u', groups: [], receptionCap: 2, supervisor: false, status: 'active' as const, receiving: true, timezone: 'Asia/Shanghai', away: true };
    expect(servicerEligibility(sv, { open: {} }, 0)).toBe('away');
    expect(servicerEligibility({ ...sv, away: false }, { open: {} }, 0)).toBeNull();
  });
});
