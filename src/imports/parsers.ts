/**
 * Every parser of untrusted uploads, by name. Each entry loads its module only inside the worker that
 * runs it (so the worker starts with what it needs and the main thread never loads a parser) and
 * returns the function that reads the input. Input and output cross the thread boundary by
 * structured clone: plain data, Uint8Array, no functions or class instances.
 */
import type { ParseWordFileOptions, ParsedWordFile } from '../compliance/word-file.js';
import type { CalendarProblem, HolidayCalendar } from '../routing/holiday-csv.js';

export const PARSERS = {
  /** 风险词 import: CSV (UTF-8/GBK) or XLSX. */
  'risk-words': async () => {
    const { parseWordFile } = await import('../compliance/word-file.js');
    return (input: { bytes: Uint8Array; filename: string; options: ParseWordFileOptions }): Promise<ParsedWordFile> => parseWordFile(input.bytes, input.filename, input.options);
  },
  /** 节假日/调休 calendar as CSV text. */
  'holiday-csv': async () => {
    const { parseHolidayCsv } = await import('../routing/holiday-csv.js');
    return (input: { text: string }): { calendar: HolidayCalendar; problems: CalendarProblem[] } => parseHolidayCsv(input.text);
  },
} satisfies Record<string, () => Promise<(input: never) => unknown>>;

export type ParserName = keyof typeof PARSERS;
type Parser<N extends ParserName> = Awaited<ReturnType<(typeof PARSERS)[N]>>;
export type ParserInput<N extends ParserName> = Parameters<Parser<N>>[0];
export type ParserOutput<N extends ParserName> = Awaited<ReturnType<Parser<N>>>;
