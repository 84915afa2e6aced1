import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCsv, guardFormula, parseCsv, unguardFormula } from './csv.js';

describe('parseCsv', () => {
  it('reads quoted fields, doubled quotes, line breaks inside quotes and a BOM', () => {
    const t = parseCsv('\ufeffword,reason\r\n最优惠,"广告法, 第九条"\r\n"说""第一""","一行\n两行"\n');
    expect(t.problems).toEqual([]);
    expect(t.records).toEqual([
      ['word', 'reason'],
      ['最优惠', '广告法, 第九条'],
      ['说"第一"', '一行\n两行'],
    ]);
  });

  it('accepts LF, CRLF and CR line ends, and a last row without a line break', () => {
    expect(parseCsv('a,b\nc,d\r\ne,f\rg,h').records).toEqual([['a', 'b'], ['c', 'd'], ['e', 'f'], ['g', 'h']]);
  });

  it('counts rows as a spreadsheet shows them: blank lines count, line breaks inside quotes do not', () => {
    const t = parseCsv('h\n"x\ny\nz"\n\nlast\n');
    expect(t.records).toEqual([['h'], ['x\ny\nz'], [''], ['last']]);
  });

  it('keeps empty fields and a quoted empty value on the last line', () => {
    expect(parseCsv('a,,c\n,\n""').records).toEqual([['a', '', 'c'], ['', ''], ['']]);
  });

  it('keeps a stray quote inside an unquoted value as a character', () => {
    expect(parseCsv('5"屏幕,x\n').records).toEqual([['5"屏幕', 'x']]);
  });

  it('reports an unclosed quote with the row it opens on, counted in spreadsheet rows', () => {
    const t = parseCsv('h1,h2\n"a\nb",ok\nx,"never closed\nmore\n');
    expect(t.records).toEqual([['h1', 'h2'], ['a\nb', 'ok']]);
    expect(t.problems).toEqual([{ row: 3, column: 2, message: expect.stringContaining('never closed') }]);
  });

  it('reports text after a closing quote, keeps the text and goes on', () => {
    const t = parseCsv('a,"b"c,d\n"e"f\n');
    expect(t.records).toEqual([['a', 'bc', 'd'], ['ef']]);
    expect(t.problems.map((p) => [p.row, p.column])).toEqual([[1, 2], [2, 1]]);
    expect(t.problems[0]!.message).toContain('after the closing quote');
  });

  it('formatCsv → parseCsv gives the same rows for any text', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'Z', '1', ' ', ',', '"', '\n', '\r', '最', '，', '😀', "'", '=') });
    const rows = fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(rows, (r) => {
        const t = parseCsv(formatCsv(r));
        expect(t.problems).toEqual([]);
        expect(t.records).toEqual(r);
      }),
    );
  });
});

describe('formula guard (CSV/formula injection)', () => {
  it('guards a leading TAB or CR as Excel and LibreOffice treat them like = + - @', () => {
    for (const v of ['\t=1+1', '\r=HYPERLINK("http://x")', '\t@SUM(A1)', '\rcmd', '\tplain']) {
      expect(guardFormula(v)).toBe(`'${v}`);
      expect(unguardFormula(guardFormula(v))).toBe(v);
    }
  });
  it('guards = + - @ and leaves ordinary text alone; unguard undoes exactly the guard', () => {
    fc.assert(
      fc.property(fc.string(), (v) => {
        const g = guardFormula(v);
        expect(/^[=+\-@\t\r]/.test(g)).toBe(false);
        expect(unguardFormula(g)).toBe(v);
      }),
    );
    expect(guardFormula('运费险')).toBe('运费险');
  });
});
