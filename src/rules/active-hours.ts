/**
 * Whether a moment falls inside a rule's active hours, in the rule's (or the corp's) timezone.
 */
import type { ActiveHours } from './rule.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** ISO weekday (1 = Monday) and minutes since local midnight of `at` in `timeZone`. */
export function localTime(at: number, timeZone: string): { weekday: number; minutes: number } {
  let weekday = 1;
  let hour = 0;
  let minute = 0;
  for (const part of formatter(timeZone).formatToParts(at)) {
    if (part.type === 'weekday') weekday = WEEKDAYS[part.value] ?? 1;
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { weekday, minutes: hour * 60 + minute };
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

export function isWithinActiveHours(hours: ActiveHours, at: number, corpTimeZone: string): boolean {
  const { weekday, minutes } = localTime(at, hours.timezone ?? corpTimeZone);
  const inside = (() => {
    if (!hours.ranges?.length) return !hours.weekdays || hours.weekdays.includes(weekday);
    return hours.ranges.some((r) => {
      const start = toMinutes(r.start);
      const end = toMinutes(r.end);
      if (start < end) return (!hours.weekdays || hours.weekdays.includes(weekday)) && minutes >= start && minutes < end;
      // Crosses midnight: the part after midnight belongs to the previous day's range.
      if (minutes >= start) return !hours.weekdays || hours.weekdays.includes(weekday);
      const previousDay = weekday === 1 ? 7 : weekday - 1;
      return minutes < end && (!hours.weekdays || hours.weekdays.includes(previousDay));
    });
  })();
  return hours.invert ? !inside : inside;
}

/** Human-readable description for traces: "Mon–Fri 09:00–18:00 Asia/Shanghai". */
export function describeActiveHours(hours: ActiveHours, corpTimeZone: string): string {
  const days = hours.weekdays ? `weekdays ${hours.weekdays.join(',')}` : 'every day';
  const ranges = hours.ranges?.map((r) => `${r.start}–${r.end}`).join(', ') ?? 'all day';
  return `${hours.invert ? 'outside ' : ''}${days} ${ranges} (${hours.timezone ?? corpTimeZone})`;
}
