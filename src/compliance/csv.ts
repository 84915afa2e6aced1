/**
 * CSV as Excel and WPS write it (RFC 4180): comma-separated, fields optionally in double quotes, a
 * quote inside a quoted field doubled (""), line breaks inside quotes kept, CRLF, LF or CR between
 * records. Pure, no encoding work: it takes the already decoded text. Used by `word-file.ts`.
 *
 * Records are numbered the way a spreadsheet shows them: record i is row i + 1, and a line break
 * inside quotes does not start a new row (Excel shows the cell on one row too), so a row number in an
 * error message is the row the user finds in Excel, not a line of the file in a text editor.
 */

/** A structural problem; `row` is the spreadsheet row (1-based), `column` 1-based; the message names neither. */
export interface CsvProblem {
  row: number;
  column: number;
  message: string;
}

export interface CsvTable {
  /** One array of fields per row; an empty line is `['']` (it still counts as a row). */
  records: string[][];
  /** Structural problems. After an unclosed quote nothing later can be trusted, so parsing stops there. */
  problems: CsvProblem[];
}

/** Parses CSV text (a leading BOM is dropped). Never throws; problems are returned with their row. */
export function parseCsv(text: string): CsvTable {
  const records: string[][] = [];
  const problems: CsvProblem[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let fields: string[] = [];
  let field = '';
  let open = false; // something of the current row has been read (so the end of the text ends a row)
  const endRecord = () => {
    fields.push(field);
    records.push(fields);
    fields = [];
    field = '';
    open = false;
  };
  while (i < n) {
    const row = records.length + 1;
    const column = fields.length + 1;
    const c = text[i];
    if (c !== '\n' && c !== '\r') open = true;
    if (field === '' && c === '"') {
      // Quoted field: runs to the next quote that is not doubled.
      let j = i + 1;
      let value = '';
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) {
          problems.push({
            row,
            column,
            message: `a quote (") opens a value that is never closed, so the rest of the file would be one cell. Close the quote, or double a quote that belongs to the text ("").`,
          });
          return { records, problems };
        }
        value += text.slice(j, q);
        if (text[q + 1] === '"') {
          value += '"';
          j = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      field = value;
      // Only a separator or the end of the row may follow the closing quote; keep the stray text so
      // the value is not silently cut, but report it (Excel would have quoted the whole field).
      let k = i;
      while (k < n && text[k] !== ',' && text[k] !== '\n' && text[k] !== '\r') k++;
      if (k > i) {
        problems.push({
          row,
          column,
          message: `text after the closing quote (${JSON.stringify(text.slice(i, Math.min(k, i + 20)))}). Put the whole value in quotes and double any quote inside it ("").`,
        });
        field += text.slice(i, k);
        i = k;
      }
      continue;
    }
    if (c === ',') {
      fields.push(field);
      field = '';
      i++;
    } else if (c === '\n' || c === '\r') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      // Unquoted text up to the next separator or line end; a stray quote inside is kept as a character.
      let k = i;
      while (k < n && text[k] !== ',' && text[k] !== '\n' && text[k] !== '\r') k++;
      field += text.slice(i, k);
      i = k;
    }
  }
  // A final line without a line break still is a row; a final line break does not start one.
  if (open) endRecord();
  return { records, problems };
}

/** One CSV field: quoted only when it has to be (separator, quote or line break inside). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Rows to CSV text with CRLF line ends (what RFC 4180 and Excel use). */
export function formatCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/**
 * Spreadsheet programs run a cell starting with these as a formula (CSV/formula injection): = + - @,
 * and a leading TAB or CR, which Excel and LibreOffice skip before reading the = that follows (OWASP).
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;

/** Prefix ' so Excel shows the text instead of running it; `unguardFormula` undoes exactly this. */
export function guardFormula(v: string): string {
  return FORMULA_START.test(v) ? `'${v}` : v;
}

/** Drops one leading ' only before (more quotes and) = + - @ TAB CR, so "'quoted'" stays as written. */
export function unguardFormula(v: string): string {
  return v.startsWith("'") && FORMULA_START.test(v.slice(1)) ? v.slice(1) : v;
}
