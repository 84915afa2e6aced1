/**
 * A holiday calendar (节假日 and 调休) read from CSV. Pure; called inside an import worker
 * (src/imports/parsers.ts) by PUT /api/shifts/holidays.
 */
import type { Weekday } from './model.js';

export interface HolidayCalendar {
  dates: string[];
  workdays: { date: string; like: Weekday }[];
}

/** A problem with one row, named as the API reports it ("row 3"). */
export interface CalendarProblem {
  field: string;
  message: string;
}

/** Most lines read; the API's 256 KB body limit allows about 23 000 dates, far more than any calendar. */
export const MAX_CALENDAR_LINES = 20_000;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
export function isIsoDate(s: string): boolean {
  const t = Date.parse(`${s}T00:00:00Z`);
  return ISO_DATE.test(s) && !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

/**
 * Reads a holiday calendar from CSV: one date per line (节假日), or `date,like` for a 调休 day worked
 * like weekday `like` (1 = Monday … 7 = Sunday). Blank lines, `#` comments and a `date[,like]` header are skipped.
 */
export function parseHolidayCsv(text: string): { calendar: HolidayCalendar; problems: CalendarProblem[] } {
  const calendar: HolidayCalendar = { dates: [], workdays: [] };
  const problems: CalendarProblem[] = [];
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_CALENDAR_LINES) {
    return { calendar, problems: [{ field: 'file', message: `the calendar has ${lines.length} lines; the limit is ${MAX_CALENDAR_LINES}. Import one year at a time.` }] };
  }
  lines.forEach((raw, i) => {
    const line = raw.replace(/^\uFEFF/, '').trim();
    if (!line || line.startsWith('#')) return;
    const cells = line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
    if (i === 0 && cells[0]?.toLowerCase() === 'date') return;
    const row = `row ${i + 1}`;
    const [date = '', like, ...rest] = cells;
    if (rest.length) return problems.push({ field: row, message: `"${line.slice(0, 80)}" has ${cells.length} columns; write "date" or "date,like".` });
    if (!isIsoDate(date)) return problems.push({ field: row, message: `"${date.slice(0, 40)}" is not a date YYYY-MM-DD.` });
    if (like === undefined || like === '') return calendar.dates.push(date);
    if (!/^[1-7]$/.test(like)) return problems.push({ field: row, message: `调休 day ${date}: "${like.slice(0, 20)}" is not a weekday 1 (Monday) … 7 (Sunday).` });
    calendar.workdays.push({ date, like: Number(like) as Weekday });
  });
  return { calendar, problems };
}
