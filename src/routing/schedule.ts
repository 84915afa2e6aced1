/**
 * Shift schedules (排班): is someone on duty at a moment, and when will they next be.
 *
 * Everything is read in the schedule's own timezone (wall-clock time, so DST shifts move the
 * UTC instants, not the shift). A range whose end is before its start crosses midnight and belongs
 * to its start day: Friday 22:00–02:00 covers Saturday 00:00–01:59; a holiday on Saturday does
 * not cut it short, a holiday on Friday removes all of it (a holiday removes that day's own
 * ranges, 调休 gives a date another weekday's ranges). A range whose start equals its end
 * lasts 24 hours, as in the rules' active hours. "24:00" is accepted as an end.
 */
import type { TimeRange, Weekday, WeeklySchedule } from './model.js';

interface LocalParts {
  /** "YYYY-MM-DD" in the zone. */
  date: string;
  /** Minutes since local midnight. */
  minutes: number;
  /** Local wall-clock time read as if it were UTC (ms); minus the instant gives the offset. */
  wallClockUtc: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

// One routing decision asks about many schedules at the same instant, mostly in one or two zones:
// remembering the last answer per zone saves most `formatToParts` calls (the dominant cost).
const lastParts = new Map<string, { at: number; parts: LocalParts }>();

function localParts(at: number, timeZone: string): LocalParts {
  const last = lastParts.get(timeZone);
  if (last?.at === at) return last.parts;
  const parts = readLocalParts(at, timeZone);
  lastParts.set(timeZone, { at, parts });
  return parts;
}

function readLocalParts(at: number, timeZone: string): LocalParts {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(at)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const y = p.year ?? 1970;
  const mo = p.month ?? 1;
  const d = p.day ?? 1;
  const h = p.hour ?? 0;
  const mi = p.minute ?? 0;
  const wallClockUtc = Date.UTC(y, mo - 1, d, h, mi, p.second ?? 0) + (at % 1000 + 1000) % 1000;
  return { date: isoDate(Date.UTC(y, mo - 1, d)), minutes: h * 60 + mi, wallClockUtc };
}

function isoDate(utcMidnight: number): string {
  return new Date(utcMidnight).toISOString().slice(0, 10);
}

function weekdayOf(utcMidnight: number): Weekday {
  const js = new Date(utcMidnight).getUTCDay(); // 0 = Sunday
  return (js === 0 ? 7 : js) as Weekday;
}

const DAY_MS = 86_400_000;

/** The local date `days` after `date` (calendar arithmetic, no timezone involved). */
function addDays(date: string, days: number): string {
  return isoDate(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS);
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** "HH:MM" from 00:00 to 23:59, or "24:00" (an end at midnight). */
export function isTimeOfDay(s: string): boolean {
  return HHMM.test(s);
}

/** True when `Intl` knows the IANA zone (an unknown zone would throw when a message is routed). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

function isIsoDate(s: string): boolean {
  return ISO_DATE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && isoDate(Date.parse(`${s}T00:00:00Z`)) === s;
}

/** Problems with a schedule, one sentence each saying what to fix; empty when it is usable. */
export function validateSchedule(schedule: WeeklySchedule): string[] {
  const problems: string[] = [];
  if (!isValidTimeZone(schedule.timezone)) problems.push(`timezone "${schedule.timezone}" is not an IANA timezone such as Asia/Shanghai.`);
  for (const [day, ranges] of Object.entries(schedule.weekly)) {
    if (!/^[1-7]$/.test(day)) problems.push(`weekday ${day} is not 1 (Monday) … 7 (Sunday).`);
    for (const r of ranges ?? []) {
      if (!isTimeOfDay(r.start) || !isTimeOfDay(r.end)) problems.push(`weekday ${day}: range ${r.start}–${r.end} is not HH:MM–HH:MM (00:00–24:00).`);
    }
  }
  for (const d of schedule.holidays ?? []) if (!isIsoDate(d)) problems.push(`holiday ${d} is not a date YYYY-MM-DD.`);
  for (const e of schedule.extraWorkdays ?? []) {
    if (!isIsoDate(e.date)) problems.push(`调休 day ${e.date} is not a date YYYY-MM-DD.`);
    if (!Number.isInteger(e.like) || e.like < 1 || e.like > 7) problems.push(`调休 day ${e.date}: "like" must be a weekday 1 … 7.`);
  }
  return problems;
}

/** Ranges worked on a local date: none on a holiday, the `like` weekday's on a 调休 day, else the weekday's. */
function rangesOn(schedule: WeeklySchedule, date: string): TimeRange[] {
  if (schedule.holidays?.includes(date)) return [];
  const extra = schedule.extraWorkdays?.find((e) => e.date === date);
  const weekday = extra ? extra.like : weekdayOf(Date.parse(`${date}T00:00:00Z`));
  return schedule.weekly[weekday] ?? [];
}

/** [start, end) in minutes from the start day's midnight; end may exceed 1440 when crossing midnight. */
function span(r: TimeRange): [number, number] {
  const start = toMinutes(r.start);
  const end = toMinutes(r.end);
  return [start, end > start ? end : end + 1440];
}

/** True when `at` falls inside a range of the schedule (today's, or yesterday's crossing midnight). */
export function isOnDuty(schedule: WeeklySchedule, at: number): boolean {
  const { date, minutes } = localParts(at, schedule.timezone);
  for (const r of rangesOn(schedule, date)) {
    const [start, end] = span(r);
    if (minutes >= start && minutes < end) return true;
  }
  for (const r of rangesOn(schedule, addDays(date, -1))) {
    const [, end] = span(r);
    if (minutes + 1440 < end) return true;
  }
  return false;
}

/**
 * The first UTC instant at which the local clock in `timeZone` shows `date` `minutes` or later:
 * the earlier of the two instants when a fall-back repeats that time, the end of the gap when a
 * spring-forward skips it (a 02:30 start on that night starts at 03:00).
 */
function instantOf(date: string, minutes: number, timeZone: string): number {
  const wall = Date.parse(`${date}T00:00:00Z`) + minutes * 60_000;
  const wallAt = (t: number) => localParts(t, timeZone).wallClockUtc;
  // Offsets a day either side bracket any switch near `wall`; try the earlier candidate first.
  const a = wall - (wallAt(wall - DAY_MS) - (wall - DAY_MS));
  const b = wall - (wallAt(wall + DAY_MS) - (wall + DAY_MS));
  const [first, second] = a <= b ? [a, b] : [b, a];
  if (wallAt(first) === wall) return first;
  if (wallAt(second) === wall) return second;
  // In a gap: the local clock jumps past `wall` between the two; find the jump to the minute.
  let lo = first;
  let hi = second;
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
    if (wallAt(mid) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * When the schedule is next on duty at or after `at` (ms): `at` itself when on duty now, null when
 * no range starts within `horizonDays` (e.g. a schedule with no ranges). For "expected wait" messages.
 */
export function nextOnDutyAt(schedule: WeeklySchedule, at: number, horizonDays = 14): number | null {
  if (isOnDuty(schedule, at)) return at;
  const today = localParts(at, schedule.timezone).date;
  let best: number | null = null;
  for (let d = 0; d <= horizonDays; d++) {
    const date = addDays(today, d);
    for (const r of rangesOn(schedule, date)) {
      const t = instantOf(date, toMinutes(r.start), schedule.timezone);
      // Confirm with isOnDuty: a start skipped by a DST gap may land past a short range's end.
      if (t > at && (best === null || t < best) && isOnDuty(schedule, t)) best = t;
    }
    if (best !== null) return best; // later days only start later
  }
  return best;
}
