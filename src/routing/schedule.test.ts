import { describe, expect, it } from 'vitest';
import type { WeeklySchedule } from './model.js';
import { isOnDuty, nextOnDutyAt, validateSchedule } from './schedule.js';

const t = (iso: string) => Date.parse(iso);
const weekdays = (ranges: { start: string; end: string }[]) => ({ 1: ranges, 2: ranges, 3: ranges, 4: ranges, 5: ranges });

// 2026-11-23 is a Monday.
const office: WeeklySchedule = { timezone: 'Asia/Shanghai', weekly: weekdays([{ start: '09:00', end: '18:00' }]) };
const night: WeeklySchedule = { timezone: 'Asia/Shanghai', weekly: { 5: [{ start: '22:00', end: '02:00' }] } };

describe('isOnDuty', () => {
  it('includes the start minute and excludes the end minute', () => {
    expect(isOnDuty(office, t('2026-11-25T08:59:59+08:00'))).toBe(false);
    expect(isOnDuty(office, t('2026-11-25T09:00:00+08:00'))).toBe(true);
    expect(isOnDuty(office, t('2026-11-25T17:59:59+08:00'))).toBe(true);
    expect(isOnDuty(office, t('2026-11-25T18:00:00+08:00'))).toBe(false);
    expect(isOnDuty(office, t('2026-11-28T10:00:00+08:00'))).toBe(false); // Saturday
  });

  it('gives the after-midnight part of a night shift to the day it started', () => {
    expect(isOnDuty(night, t('2026-11-27T21:59:00+08:00'))).toBe(false);
    expect(isOnDuty(night, t('2026-11-27T22:00:00+08:00'))).toBe(true); // Friday
    expect(isOnDuty(night, t('2026-11-27T23:59:00+08:00'))).toBe(true);
    expect(isOnDuty(night, t('2026-11-28T00:00:00+08:00'))).toBe(true); // Saturday 00:00, Friday's shift
    expect(isOnDuty(night, t('2026-11-28T01:59:00+08:00'))).toBe(true);
    expect(isOnDuty(night, t('2026-11-28T02:00:00+08:00'))).toBe(false);
    expect(isOnDuty(night, t('2026-11-27T01:00:00+08:00'))).toBe(false); // Friday 01:00 would be Thursday's
    expect(isOnDuty(night, t('2026-11-29T01:00:00+08:00'))).toBe(false); // Sunday 01:00 would be Saturday's
  });

  it('reads the schedule in its own timezone, whoever asks', () => {
    const ny: WeeklySchedule = { timezone: 'America/New_York', weekly: weekdays([{ start: '09:00', end: '17:00' }]) };
    expect(isOnDuty(ny, t('2026-11-25T22:30:00+08:00'))).toBe(true); // Wed 09:30 in New York
    expect(isOnDuty(ny, t('2026-11-25T12:00:00+08:00'))).toBe(false); // Tue 23:00 in New York
  });

  it('keeps wall-clock hours across a DST switch (America/New_York, 2026-03-08 and 2026-11-01)', () => {
    const sundays: WeeklySchedule = { timezone: 'America/New_York', weekly: { 7: [{ start: '01:00', end: '04:00' }], 1: [{ start: '09:00', end: '10:00' }] } };
    // Spring forward: 02:00 EST jumps to 03:00 EDT at 07:00Z. 01:59 EST = 06:59Z, 03:00 EDT = 07:00Z.
    expect(isOnDuty(sundays, t('2026-03-08T05:59:00Z'))).toBe(false); // 00:59 EST
    expect(isOnDuty(sundays, t('2026-03-08T06:00:00Z'))).toBe(true); // 01:00 EST
    expect(isOnDuty(sundays, t('2026-03-08T07:59:00Z'))).toBe(true); // 03:59 EDT
    expect(isOnDuty(sundays, t('2026-03-08T08:00:00Z'))).toBe(false); // 04:00 EDT
    // Monday 09:00 is 13:00Z after the switch (EDT), 14:00Z before it.
    expect(isOnDuty(sundays, t('2026-03-09T13:00:00Z'))).toBe(true);
    expect(isOnDuty(sundays, t('2026-03-02T13:00:00Z'))).toBe(false);
    expect(isOnDuty(sundays, t('2026-03-02T14:00:00Z'))).toBe(true);
    // Fall back: 01:00–02:00 happens twice; 04:00 EST is 09:00Z.
    expect(isOnDuty(sundays, t('2026-11-01T05:00:00Z'))).toBe(true); // 01:00 EDT
    expect(isOnDuty(sundays, t('2026-11-01T06:30:00Z'))).toBe(true); // 01:30 EST (second time)
    expect(isOnDuty(sundays, t('2026-11-01T08:59:00Z'))).toBe(true); // 03:59 EST
    expect(isOnDuty(sundays, t('2026-11-01T09:00:00Z'))).toBe(false);
  });

  it('is off all day on a holiday, but the previous night shift still runs past midnight into it', () => {
    const withHoliday: WeeklySchedule = { ...office, weekly: { ...office.weekly, ...night.weekly, 5: [{ start: '09:00', end: '18:00' }, { start: '22:00', end: '02:00' }] }, holidays: ['2026-11-27', '2026-11-30'] };
    expect(isOnDuty(withHoliday, t('2026-11-27T10:00:00+08:00'))).toBe(false); // Friday, holiday
    expect(isOnDuty(withHoliday, t('2026-11-27T23:00:00+08:00'))).toBe(false); // its night shift too
    expect(isOnDuty(withHoliday, t('2026-11-28T01:00:00+08:00'))).toBe(false); // including the part after midnight
    expect(isOnDuty(withHoliday, t('2026-11-30T10:00:00+08:00'))).toBe(false); // Monday, holiday
    expect(isOnDuty(withHoliday, t('2026-12-01T10:00:00+08:00'))).toBe(true);
    const nightBeforeHoliday: WeeklySchedule = { ...night, holidays: ['2026-11-28'] };
    expect(isOnDuty(nightBeforeHoliday, t('2026-11-28T01:00:00+08:00'))).toBe(true); // Friday's shift, not Saturday's
  });

  it('works a 调休 day with the given weekday pattern', () => {
    const tiaoxiu: WeeklySchedule = { ...office, extraWorkdays: [{ date: '2026-11-29', like: 1 }] }; // a Sunday
    expect(isOnDuty(tiaoxiu, t('2026-11-29T10:00:00+08:00'))).toBe(true);
    expect(isOnDuty(tiaoxiu, t('2026-11-29T19:00:00+08:00'))).toBe(false);
    expect(isOnDuty(office, t('2026-11-29T10:00:00+08:00'))).toBe(false);
  });

  it('treats start == end as a 24-hour shift and accepts 24:00 as an end', () => {
    const allDay: WeeklySchedule = { timezone: 'Asia/Shanghai', weekly: { 3: [{ start: '00:00', end: '24:00' }] } };
    expect(isOnDuty(allDay, t('2026-11-25T00:00:00+08:00'))).toBe(true);
    expect(isOnDuty(allDay, t('2026-11-25T23:59:59+08:00'))).toBe(true);
    expect(isOnDuty(allDay, t('2026-11-26T00:00:00+08:00'))).toBe(false);
    const rolling: WeeklySchedule = { timezone: 'Asia/Shanghai', weekly: { 3: [{ start: '08:00', end: '08:00' }] } };
    expect(isOnDuty(rolling, t('2026-11-26T07:59:00+08:00'))).toBe(true);
    expect(isOnDuty(rolling, t('2026-11-26T08:00:00+08:00'))).toBe(false);
  });
});

describe('nextOnDutyAt', () => {
  it('is now when on duty, else the next range start', () => {
    expect(nextOnDutyAt(office, t('2026-11-25T10:00:00+08:00'))).toBe(t('2026-11-25T10:00:00+08:00'));
    expect(nextOnDutyAt(office, t('2026-11-25T02:00:00+08:00'))).toBe(t('2026-11-25T09:00:00+08:00'));
    expect(nextOnDutyAt(office, t('2026-11-25T18:00:00+08:00'))).toBe(t('2026-11-26T09:00:00+08:00'));
    expect(nextOnDutyAt(office, t('2026-11-27T20:00:00+08:00'))).toBe(t('2026-11-30T09:00:00+08:00')); // over the weekend
  });

  it('skips holidays and uses 调休 days', () => {
    const s: WeeklySchedule = { ...office, holidays: ['2026-11-30'], extraWorkdays: [{ date: '2026-11-29', like: 1 }] };
    expect(nextOnDutyAt(s, t('2026-11-27T20:00:00+08:00'))).toBe(t('2026-11-29T09:00:00+08:00'));
    const noTiaoxiu: WeeklySchedule = { ...office, holidays: ['2026-11-30'] };
    expect(nextOnDutyAt(noTiaoxiu, t('2026-11-27T20:00:00+08:00'))).toBe(t('2026-12-01T09:00:00+08:00'));
  });

  it('finds wall-clock starts across a DST switch, and null for an empty schedule', () => {
    const ny: WeeklySchedule = { timezone: 'America/New_York', weekly: weekdays([{ start: '09:00', end: '17:00' }]) };
    expect(nextOnDutyAt(ny, t('2026-03-07T12:00:00Z'))).toBe(t('2026-03-09T13:00:00Z')); // Saturday → Monday 09:00 EDT
    expect(nextOnDutyAt(ny, t('2026-10-31T12:00:00Z'))).toBe(t('2026-11-02T14:00:00Z')); // → Monday 09:00 EST
    const gap: WeeklySchedule = { timezone: 'America/New_York', weekly: { 7: [{ start: '02:30', end: '05:00' }] } };
    expect(nextOnDutyAt(gap, t('2026-03-08T05:00:00Z'))).toBe(t('2026-03-08T07:00:00Z')); // 02:30 does not exist: on at 03:00 EDT
    expect(nextOnDutyAt({ timezone: 'UTC', weekly: {} }, t('2026-11-25T00:00:00Z'))).toBeNull();
  });
});

describe('validateSchedule', () => {
  it('accepts a well-formed schedule and names each problem otherwise', () => {
    expect(validateSchedule({ ...office, holidays: ['2026-10-01'], extraWorkdays: [{ date: '2026-09-27', like: 1 }] })).toEqual([]);
    expect(
      validateSchedule({
        timezone: 'China/Beijing',
        weekly: { 1: [{ start: '9:00', end: '18:00' }], 8: [] } as WeeklySchedule['weekly'],
        holidays: ['2026-02-30'],
        extraWorkdays: [{ date: '2026-09-27', like: 0 as 1 }],
      }),
    ).toEqual([
      'timezone "China/Beijing" is not an IANA timezone such as Asia/Shanghai.',
      'weekday 1: range 9:00–18:00 is not HH:MM–HH:MM (00:00–24:00).',
      'weekday 8 is not 1 (Monday) … 7 (Sunday).',
      'holiday 2026-02-30 is not a date YYYY-MM-DD.',
      '调休 day 2026-09-27: "like" must be a weekday 1 … 7.',
    ]);
  });
});
