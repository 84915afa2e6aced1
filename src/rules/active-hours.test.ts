import { describe, expect, it } from 'vitest';
import { isWithinActiveHours, localTime } from './active-hours.js';

const t = (iso: string) => Date.parse(iso);

describe('active hours', () => {
  it('reads weekday and time in the given timezone', () => {
    // 2026-11-25 is a Wednesday; 23:30 in Shanghai is still Wednesday, 15:30 UTC.
    expect(localTime(t('2026-11-25T23:30:00+08:00'), 'Asia/Shanghai')).toEqual({ weekday: 3, minutes: 23 * 60 + 30 });
    expect(localTime(t('2026-11-25T23:30:00+08:00'), 'UTC')).toEqual({ weekday: 3, minutes: 15 * 60 + 30 });
    expect(localTime(t('2026-11-25T23:30:00+08:00'), 'America/Los_Angeles')).toEqual({ weekday: 3, minutes: 7 * 60 + 30 });
  });

  it('handles weekday ranges, boundaries and midnight-crossing ranges', () => {
    const office = { weekdays: [1, 2, 3, 4, 5], ranges: [{ start: '09:00', end: '18:00' }] };
    expect(isWithinActiveHours(office, t('2026-11-25T09:00:00+08:00'), 'Asia/Shanghai')).toBe(true);
    expect(isWithinActiveHours(office, t('2026-11-25T18:00:00+08:00'), 'Asia/Shanghai')).toBe(false);
    expect(isWithinActiveHours(office, t('2026-11-28T10:00:00+08:00'), 'Asia/Shanghai')).toBe(false); // Saturday
    const night = { weekdays: [5], ranges: [{ start: '22:00', end: '02:00' }] };
    expect(isWithinActiveHours(night, t('2026-11-27T23:00:00+08:00'), 'Asia/Shanghai')).toBe(true); // Friday night
    expect(isWithinActiveHours(night, t('2026-11-28T01:59:00+08:00'), 'Asia/Shanghai')).toBe(true); // belongs to Friday
    expect(isWithinActiveHours(night, t('2026-11-29T01:00:00+08:00'), 'Asia/Shanghai')).toBe(false); // Saturday's night
  });

  it('inverts for the off-hours variant and honours a rule timezone', () => {
    const off = { ranges: [{ start: '09:00', end: '21:00' }], invert: true };
    expect(isWithinActiveHours(off, t('2026-11-25T22:00:00+08:00'), 'Asia/Shanghai')).toBe(true);
    expect(isWithinActiveHours(off, t('2026-11-25T12:00:00+08:00'), 'Asia/Shanghai')).toBe(false);
    const ny = { timezone: 'America/New_York', ranges: [{ start: '09:00', end: '17:00' }] };
    expect(isWithinActiveHours(ny, t('2026-11-25T22:30:00+08:00'), 'Asia/Shanghai')).toBe(true); // 09:30 in New York
  });
});
