/**
 * An organisation's risk-word list as a file: read an uploaded CSV or XLSX into rows and errors, and
 * write the list back out. Pure (bytes in, rows/bytes out); the admin API calls it for import/export
 * and saves nothing when `errors` is non-empty ("change nothing": every problem is reported at once,
 * so the user fixes the file in one go).
 *
 * Why the encoding work: Excel and WPS on Chinese Windows save CSV as GBK by default, Excel's
 * "CSV UTF-8" adds a BOM, and files that went through the wrong program arrive as mojibake. Valid
 * UTF-8 is almost never valid *and plausible* GBK, so the rule is: valid UTF-8 → UTF-8; otherwise
 * GB18030 (a superset of GBK) if the bytes decode cleanly into common characters; chardet only as a
 * second opinion, because its guesses on a few Chinese words are often wrong (3 GBK characters come
 * out as "ISO-8859-7").
 */
import { analyse } from 'chardet';
import iconv from 'iconv-lite';
import { readSheet } from 'read-excel-file/node';
import writeXlsxFile from 'write-excel-file/node';
import { measureUnzipped, UnzipLimitError } from '../imports/zip-limits.js';
import { formatCsv, guardFormula, parseCsv, unguardFormula } from './csv.js';
import { validateRiskWords } from './library.js';
import type { RiskSeverity, RiskWord } from './risk-words.js';

export type WordFileEncoding = 'utf-8' | 'gbk' | 'xlsx';

/** One imported row; `row` is the spreadsheet row it came from (the header is row 1). */
export interface WordFileRow extends Partial<RiskWord> {
  row: number;
}

/**
 * A problem with the file. `row` is the spreadsheet row (0 for the file as a whole); `field` the
 * RiskWord field of the column, `'header'` for a bad column name, `'file'` for the whole file.
 */
export interface WordFileError {
  row: number;
  field: keyof RiskWord | 'header' | 'file';
  message: string;
}

export interface ParsedWordFile {
  /** The non-blank rows below the header, in file order. Only safe to save when `errors` is empty. */
  rows: WordFileRow[];
  /** How the file was read; null when it could not be read at all. */
  encoding: WordFileEncoding | null;
  /** The first `WORD_FILE_LIMITS.maxErrors` problems, in row order. */
  errors: WordFileError[];
  /** How many problems there are in all (more than `errors.length` when capped). */
  errorCount: number;
  /** The file as a whole is over a size limit (bytes, unpacked size, rows, cells): the API answers 413. */
  tooLarge?: true;
}

export interface ParseWordFileOptions {
  /** Largest upload accepted, in bytes. */
  maxBytes?: number;
  /** Most word rows accepted (header not counted). */
  maxRows?: number;
  /** The organisation's current library: a word already there is a duplicate unless the row carries its id. */
  existing?: readonly RiskWord[];
}

export interface SerializeWordFileOptions {
  /** CSV only: UTF-8 with BOM (default; Excel opens it correctly) or GBK for old Excel/WPS setups. */
  encoding?: 'utf-8' | 'gbk';
  /** Header names and severity/enabled values in Chinese (default) or English. */
  headers?: 'zh' | 'en';
}

export const WORD_FILE_LIMITS = {
  maxBytes: 2 * 1024 * 1024,
  maxRows: 5000,
  /** Any one cell (a reason, the suggestions of a row…), in UTF-16 code units. */
  maxCellLength: 1000,
  maxErrors: 100,
  /**
   * An XLSX is a ZIP: what its entries really unpack to, counted while inflating (a zip bomb is small
   * on the wire and its directory may lie). 5000 rows with long reasons unpack to about 2 MB.
   */
  maxUnpackedBytes: 8 * 1024 * 1024,
  /** Cells in the sheet, blank ones included (5000 rows × 8 columns is 40 000). */
  maxCells: 200_000,
} as const;

type Field = 'word' | 'category' | 'severity' | 'reason' | 'suggestions' | 'allow' | 'enabled' | 'id';

/** The columns, in export order. Header names are matched case- and width-insensitively. */
export const WORD_FILE_COLUMNS: readonly { field: Field; en: string; zh: string; required: boolean }[] = [
  { field: 'word', en: 'word', zh: '词语', required: true },
  { field: 'category', en: 'category', zh: '分类', required: true },
  { field: 'severity', en: 'severity', zh: '级别', required: true },
  { field: 'reason', en: 'reason', zh: '原因', required: true },
  { field: 'suggestions', en: 'suggestions', zh: '建议改写', required: false },
  { field: 'allow', en: 'allow', zh: '允许语境', required: false },
  { field: 'enabled', en: 'enabled', zh: '启用', required: false },
  { field: 'id', en: 'id', zh: 'id', required: false },
];
// category, severity and reason are required: validateRiskWords has no defaults for them (a full
// entry is needed for an organisation's own word, and an edit row is exported with all fields).

const SEVERITIES: Record<string, RiskSeverity> = { block: 'block', warn: 'warn', 禁止: 'block', 拦截: 'block', 提示: 'warn', 警告: 'warn' };
const BOOLEANS: Record<string, boolean> = { true: true, false: false, 是: true, 否: false, '1': true, '0': false };
/** Separators between several suggestions or allowed phrases in one cell. */
const LIST_SEPARATOR = /[｜|;；、]/;

const columnList = WORD_FILE_COLUMNS.map((c) => (c.zh === c.en ? c.en : `${c.zh}/${c.en}`)).join(', ');
const HOW_TO_SAVE =
  'Accepted: CSV in UTF-8 (with or without BOM) or GBK/GB18030, or an Excel workbook (.xlsx). ' +
  'In Excel choose 文件 › 另存为 › "CSV UTF-8 (逗号分隔) (*.csv)"; in Excel or WPS you can also save as "Excel 工作簿 (*.xlsx)" and upload that.';

/**
 * Reads an uploaded word list. XLSX is recognised by its content (a ZIP), anything else is read as
 * CSV; `filename` is only used in messages. Never throws for a bad file: everything wrong is in `errors`.
 */
export async function parseWordFile(bytes: Uint8Array, filename: string, opts: ParseWordFileOptions = {}): Promise<ParsedWordFile> {
  const maxBytes = opts.maxBytes ?? WORD_FILE_LIMITS.maxBytes;
  const name = filename === '' ? 'The file' : `"${filename}"`;
  if (bytes.length > maxBytes)
    return tooLarge(null, `${name} is ${formatBytes(bytes.length)}; the limit is ${formatBytes(maxBytes)}. Split the list into several files.`);
  if (bytes.length === 0) return fileError(null, `${name} is empty. Export the list first to get a file with the right columns.`);

  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) {
    try {
      measureUnzipped(bytes, { maxBytes: WORD_FILE_LIMITS.maxUnpackedBytes, maxEntries: 1000 });
    } catch (err) {
      if (!(err instanceof UnzipLimitError)) throw err;
      if (err.reason === 'unreadable')
        return fileError('xlsx', `${name} is a ZIP file but not a readable Excel workbook (it ${err.message}). Open it in Excel or WPS and save it again as "Excel 工作簿 (*.xlsx)", or as CSV UTF-8.`);
      return tooLarge('xlsx', `${name} ${err.message}, the most a word list may take. Save only the word list sheet, without images or empty formatted cells, or save it as CSV UTF-8.`);
    }
    let cells: unknown[][];
    try {
      cells = await readSheet(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { trim: false });
    } catch {
      return fileError('xlsx', `${name} is a ZIP file but not a readable Excel workbook. Open it in Excel or WPS and save it again as "Excel 工作簿 (*.xlsx)", or as CSV UTF-8.`);
    }
    const cellCount = cells.reduce((n, r) => n + r.length, 0);
    if (cellCount > WORD_FILE_LIMITS.maxCells)
      return tooLarge('xlsx', `${name} has ${cellCount} cells; the limit is ${WORD_FILE_LIMITS.maxCells}. Delete empty rows and columns (or save only the word list as CSV UTF-8) and import again.`);
    return readTable(cells.map((r) => r.map(cellText)), [], 'xlsx', name, opts);
  }
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0]))
    return fileError(null, `${name} is an old Excel 97–2003 workbook (.xls). Open it and save it as "Excel 工作簿 (*.xlsx)" or as CSV UTF-8.`);

  const decoded = decodeText(bytes);
  if ('error' in decoded) return fileError(null, `${name} ${decoded.error}`);
  const csv = parseCsv(decoded.text);
  const problems = csv.problems.map((p) => ({ row: p.row, column: p.column - 1, message: p.message }));
  // (messages get their "Row N, column X" prefix in readTable, where the header names are known)
  return readTable(csv.records, problems, decoded.encoding, name, opts);
}

/**
 * Writes words as a file the user can edit in Excel/WPS and import again (ids included, so the
 * import updates the same entries). CSV is UTF-8 with BOM unless `encoding: 'gbk'`; GBK is written as
 * GB18030 so a character outside GBK (an emoji) survives instead of becoming "?".
 */
export async function serializeWordFile(words: readonly RiskWord[], format: 'csv' | 'xlsx', opts: SerializeWordFileOptions = {}): Promise<Uint8Array> {
  const lang = opts.headers ?? 'zh';
  const header = WORD_FILE_COLUMNS.map((c) => c[lang]);
  const rows = words.map((w) => WORD_FILE_COLUMNS.map((c) => guardFormula(exportValue(w, c.field, lang))));
  if (format === 'xlsx') {
    const data = [
      header.map((h) => ({ value: h, fontWeight: 'bold' as const })),
      ...rows.map((r) => r.map((v) => ({ value: v, type: String, wrap: v.includes('\n') }))),
    ];
    const buffer = await writeXlsxFile(data, {
      stickyRowsCount: 1,
      columns: WORD_FILE_COLUMNS.map((c) => ({ width: c.field === 'reason' ? 48 : c.field === 'word' || c.field === 'id' ? 20 : 16 })),
    }).toBuffer();
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }
  const text = formatCsv([header, ...rows]);
  if (opts.encoding === 'gbk') return new Uint8Array(iconv.encode(text, 'gb18030'));
  return new TextEncoder().encode('\ufeff' + text);
}

function exportValue(w: RiskWord, field: Field, lang: 'zh' | 'en'): string {
  switch (field) {
    case 'severity':
      return lang === 'zh' ? (w.severity === 'block' ? '禁止' : '提示') : w.severity;
    case 'enabled':
      return lang === 'zh' ? (w.enabled === false ? '否' : '是') : String(w.enabled !== false);
    case 'suggestions':
      return w.suggestions.join('｜');
    case 'allow':
      return (w.allow ?? []).join('｜');
    default:
      return w[field];
  }
}


// ---------------------------------------------------------------------------------------------
// From cells to rows

interface TableProblem {
  row: number;
  /** 0-based column index. */
  column: number;
  message: string;
}

function readTable(table: string[][], problems: TableProblem[], encoding: WordFileEncoding, name: string, opts: ParseWordFileOptions): ParsedWordFile {
  const maxRows = opts.maxRows ?? WORD_FILE_LIMITS.maxRows;
  const isBlank = (r: readonly string[] | undefined) => (r ?? []).every((c) => c.trim() === '');
  const headerIndex = table.findIndex((r) => !isBlank(r));
  if (headerIndex === -1) return fileError(encoding, `${name} has no rows. The first row must name the columns: ${columnList}.`);
  const headerRow = headerIndex + 1;
  const header = table[headerIndex] ?? [];
  const errors: WordFileError[] = [];

  // Header: which column holds which field.
  const garbledHeader = header.map((h) => garbled(h.trim())).find((g) => g !== null);
  if (garbledHeader !== undefined)
    return fileError(encoding, `${name} is garbled: the header ${garbledHeader}. The text went through a program that read it in the wrong encoding; export it again from the original. ${HOW_TO_SAVE}`);
  const fieldAt = new Map<number, Field>();
  const columnOf = new Map<Field, number>();
  header.forEach((raw, j) => {
    const h = raw.trim();
    if (h === '') return;
    const key = h.normalize('NFKC').replace(/[\u200b-\u200d\ufeff]/g, '').toLowerCase();
    const col = WORD_FILE_COLUMNS.find((c) => c.en === key || c.zh === key);
    if (col === undefined) {
      const hint = header.length === 1 && /[;\t]/.test(h) ? ' Separate the columns with commas (,), not semicolons or tabs.' : ' Rename it or delete the column.';
      errors.push({ row: headerRow, field: 'header', message: `Row ${headerRow}, column ${letter(j)}: unknown column "${clip(h)}". The columns are ${columnList}.${hint}` });
      return;
    }
    const before = columnOf.get(col.field);
    if (before !== undefined) {
      errors.push({ row: headerRow, field: 'header', message: `Row ${headerRow}, column ${letter(j)}: "${h}" repeats column ${letter(before)} (${col.zh}/${col.en}). Keep one of them.` });
      return;
    }
    fieldAt.set(j, col.field);
    columnOf.set(col.field, j);
  });
  for (const c of WORD_FILE_COLUMNS)
    if (c.required && !columnOf.has(c.field))
      errors.push({ row: headerRow, field: c.field, message: `Row ${headerRow}: the required column ${c.zh}/${c.en} is missing. The header row needs ${WORD_FILE_COLUMNS.filter((x) => x.required).map((x) => `${x.zh}/${x.en}`).join(', ')}.` });
  // A row problem in the header itself (e.g. an unclosed quote) makes the columns unknowable.
  for (const p of problems)
    if (p.row <= headerRow) errors.push({ row: p.row, field: 'header', message: `Row ${p.row}, column ${letter(p.column)}: ${p.message}` });
  if (errors.length > 0) return finish([], encoding, errors);

  const label = (j: number) => {
    const h = header[j]?.trim() ?? '';
    return h === '' ? `column ${letter(j)}` : `column ${letter(j)} "${clip(h)}"`;
  };
  const dataIndexes: number[] = [];
  for (let i = headerIndex + 1; i < table.length; i++) if (!isBlank(table[i])) dataIndexes.push(i);
  if (dataIndexes.length === 0) return fileError(encoding, `${name} has a header row but no words below it.`);
  if (dataIndexes.length > maxRows)
    return tooLarge(encoding, `${name} has ${dataIndexes.length} word rows; the limit is ${maxRows}. Split it into several files.`);

  const brokenRows = new Set<number>();
  for (const p of problems) {
    brokenRows.add(p.row);
    errors.push({ row: p.row, field: fieldAt.get(p.column) ?? 'file', message: `Row ${p.row}, ${label(p.column)}: ${p.message}` });
  }
  const rows: WordFileRow[] = [];
  for (const i of dataIndexes) {
    const row = i + 1;
    const cells = table[i] ?? [];
    const out: WordFileRow = { row };
    const fail = (field: Field, message: string) => errors.push({ row, field, message: `Row ${row}, ${message}` });
    cells.forEach((raw, j) => {
      if (!fieldAt.has(j) && raw.trim() !== '')
        errors.push({
          row,
          field: 'file',
          message: `Row ${row}, column ${letter(j)}: "${clip(raw.trim())}" is in a column without a header. If it belongs to the value on its left, put that value in quotes (a comma inside a value needs them); otherwise delete it.`,
        });
    });
    for (const [j, field] of fieldAt) {
      const v = unguardFormula((cells[j] ?? '').replace(/\r\n?/g, '\n').trim());
      if (v.length > WORD_FILE_LIMITS.maxCellLength) {
        fail(field, `${label(j)}: the text is ${v.length} characters long; the limit is ${WORD_FILE_LIMITS.maxCellLength}. Shorten it.`);
        continue;
      }
      const g = garbled(v);
      if (g !== null) fail(field, `${label(j)}: the text ${g}. Correct it or export it again from the original.`);
      if (field === 'severity') {
        const s = SEVERITIES[v.toLowerCase()];
        if (s === undefined)
          fail(field, `${label(j)}: ${v === '' ? 'the severity is empty' : `"${clip(v)}" is not a severity`}; write block (禁止/拦截) or warn (提示/警告).`);
        else out.severity = s;
      } else if (field === 'enabled') {
        const b = v === '' ? true : BOOLEANS[v.toLowerCase()];
        if (b === undefined) fail(field, `${label(j)}: "${clip(v)}" is not yes or no; write true/false, 是/否 or 1/0 (empty means true).`);
        else out.enabled = b;
      } else if (field === 'suggestions' || field === 'allow') {
        out[field] = v.split(LIST_SEPARATOR).map((s) => s.trim()).filter((s) => s !== '');
      } else if (field === 'id') {
        if (v !== '') out.id = v;
      } else out[field] = v;
    }
    if (!columnOf.has('suggestions')) out.suggestions = [];
    if (!columnOf.has('enabled')) out.enabled = true;
    rows.push(out);
  }

  // Same id twice: the second row would silently overwrite the first.
  const idRow = new Map<string, number>();
  for (const r of rows) {
    if (r.id === undefined) continue;
    const first = idRow.get(r.id);
    if (first !== undefined) errors.push({ row: r.row, field: 'id', message: `Row ${r.row}: the id "${clip(r.id)}" is already on row ${first}; each entry may appear once.` });
    else idRow.set(r.id, r.row);
  }

  // Content rules from the library. Rows are placed at their spreadsheet index so its messages
  // ("Row 7 … already on row 3") name the rows the user sees; the padding rows' errors are dropped.
  // An entry whose id is in the file is being replaced, so its word is not a duplicate.
  const padded: Partial<RiskWord>[] = Array.from({ length: table.length }, () => ({}));
  for (const r of rows) if (!brokenRows.has(r.row)) padded[r.row - 1] = r;
  const real = new Set(rows.filter((r) => !brokenRows.has(r.row)).map((r) => r.row));
  const existing = (opts.existing ?? []).filter((w) => !idRow.has(w.id));
  const reported = new Set(errors.map((e) => `${e.row}:${e.field}`));
  for (const e of validateRiskWords(padded, existing))
    if (real.has(e.row) && !reported.has(`${e.row}:${e.field}`)) errors.push(e);

  return finish(rows, encoding, errors);
}

function finish(rows: WordFileRow[], encoding: WordFileEncoding | null, errors: WordFileError[]): ParsedWordFile {
  const sorted = errors.map((e, k) => ({ e, k })).sort((a, b) => a.e.row - b.e.row || a.k - b.k).map((x) => x.e);
  return { rows, encoding, errors: sorted.slice(0, WORD_FILE_LIMITS.maxErrors), errorCount: sorted.length };
}

function fileError(encoding: WordFileEncoding | null, message: string): ParsedWordFile {
  return finish([], encoding, [{ row: 0, field: 'file', message }]);
}

function tooLarge(encoding: WordFileEncoding | null, message: string): ParsedWordFile {
  return { ...fileError(encoding, message), tooLarge: true };
}

/** XLSX cells arrive typed; the columns are all text (a word may be 100 or 2024). */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) {
    const iso = v.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  return String(v);
}

// ---------------------------------------------------------------------------------------------
// Encodings

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(b: Uint8Array): string | null {
  try {
    return strictUtf8.decode(b); // also drops a leading BOM
  } catch {
    return null;
  }
}

function decodeText(b: Uint8Array): { text: string; encoding: 'utf-8' | 'gbk' } | { error: string } {
  if (startsWith(b, [0xef, 0xbb, 0xbf])) {
    const text = decodeUtf8(b);
    return text === null ? { error: `starts with a UTF-8 mark (BOM) but the rest is not UTF-8; it was probably edited in another encoding. ${HOW_TO_SAVE}` } : { text, encoding: 'utf-8' };
  }
  if (startsWith(b, [0xff, 0xfe]) || startsWith(b, [0xfe, 0xff]))
    return { error: `is UTF-16 text (Excel's "Unicode 文本"), which is not accepted. ${HOW_TO_SAVE}` };
  if (b.includes(0))
    return { error: `is not a text file (it contains zero bytes: UTF-16 without a BOM, or a binary file). ${HOW_TO_SAVE}` };
  const utf8 = decodeUtf8(b);
  if (utf8 !== null) return { text: utf8, encoding: 'utf-8' };
  const s = gbStats(b);
  // Simplified Chinese text in GBK is nearly all GB2312 characters; Big5 or Shift-JIS read as GBK is
  // not (rare characters, kana, private-use area). chardet can rescue a GBK text in 繁体, whose
  // characters are outside GB2312.
  const guess = analyse(b)[0];
  if (s.invalid === 0 && (s.common >= 0.8 * s.multi || (guess?.name === 'GB18030' && guess.confidence >= 50))) return { text: iconv.decode(Buffer.from(b), 'gb18030'), encoding: 'gbk' };
  const looks = guess !== undefined && guess.name !== 'GB18030' && guess.confidence >= 30 ? ` (it looks like ${guess.name})` : '';
  return { error: `is neither UTF-8 nor GBK text${looks}. ${HOW_TO_SAVE}` };
}

/**
 * Walks bytes as GB18030: `invalid` sequences, `multi` multi-byte characters, `common` those in
 * GB2312's punctuation rows (A1–A3) or its hanzi (B0–F7), which is where real simplified Chinese lives.
 */
function gbStats(b: Uint8Array): { invalid: number; multi: number; common: number } {
  let invalid = 0;
  let multi = 0;
  let common = 0;
  for (let i = 0; i < b.length; ) {
    const x = b[i]!;
    if (x < 0x80) {
      i++;
      continue;
    }
    const y = b[i + 1] ?? 0;
    if (x >= 0x81 && x <= 0xfe && y >= 0x30 && y <= 0x39) {
      const z = b[i + 2] ?? 0;
      const w = b[i + 3] ?? 0;
      if (z >= 0x81 && z <= 0xfe && w >= 0x30 && w <= 0x39) {
        multi++;
        i += 4;
      } else {
        invalid++;
        i++;
      }
    } else if (x >= 0x81 && x <= 0xfe && y >= 0x40 && y <= 0xfe && y !== 0x7f) {
      multi++;
      if (y >= 0xa1 && ((x >= 0xa1 && x <= 0xa3) || (x >= 0xb0 && x <= 0xf7))) common++;
      i += 2;
    } else {
      invalid++;
      i++;
    }
  }
  return { invalid, multi, common };
}

const CJK = /[\u4e00-\u9fff]/;
/** What correctly decoded Chinese list text is made of (ASCII, CJK, CJK and full-width punctuation). */
const PLAIN = /^[\t\n\x20-\x7e\u00b7\u2010-\u2027\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]*$/;

/**
 * Recognises text already damaged before it reached us (the file itself decodes fine). Returns a
 * description for the message, with the likely original, or null when the text looks right.
 */
function garbled(s: string): string | null {
  if (s.includes('\ufffd'))
    return `"${clip(s)}" contains "\ufffd" (a character lost in an earlier wrong conversion)`;
  if (!/[^\x00-\x7f]/.test(s)) return null;
  // UTF-8 bytes opened as GBK and saved again: "最优惠" becomes "鏈€浼樻儬".
  if (CJK.test(s)) {
    const bytes = iconv.encode(s, 'gbk');
    if (iconv.decode(bytes, 'gbk') === s) {
      const t = decodeUtf8(bytes);
      if (t !== null && t !== s && CJK.test(t) && PLAIN.test(t)) return `"${clip(s)}" looks like UTF-8 read as GBK; it probably means "${clip(t)}"`;
    }
  }
  // GBK bytes opened as Latin-1/Windows-1252 and saved again: "最优惠" becomes "×îÓÅ»Ý".
  const bytes = iconv.encode(s, 'win1252');
  if (iconv.decode(bytes, 'win1252') === s) {
    const st = gbStats(bytes);
    if (st.invalid === 0 && st.multi >= 2 && st.common === st.multi)
      return `"${clip(s)}" looks like GBK read as Western (Windows-1252); it probably means "${clip(iconv.decode(Buffer.from(bytes), 'gb18030'))}"`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Small things

function startsWith(b: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((m, i) => b[i] === m);
}

/** Spreadsheet column letter of a 0-based index (0 → A, 26 → AA). */
function letter(j: number): string {
  let s = '';
  for (let n = j + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** Long or multi-line values shortened for a message. */
function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > 30 ? `${one.slice(0, 30)}…` : one;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}
