import fc from 'fast-check';
import iconv from 'iconv-lite';
import writeXlsxFile from 'write-excel-file/node';
import { describe, expect, it } from 'vitest';
import { SHIPPED_RISK_WORDS } from './library/shipped.js';
import type { RiskWord } from './risk-words.js';
import { parseWordFile, serializeWordFile, WORD_FILE_LIMITS, type ParsedWordFile } from './word-file.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const gbk = (s: string) => new Uint8Array(iconv.encode(s, 'gbk'));
const parseCsvText = (s: string, opts?: Parameters<typeof parseWordFile>[2]) => parseWordFile(utf8(s), 'words.csv', opts);
const xlsx = async (rows: unknown[][]) => new Uint8Array(await writeXlsxFile(rows as never).toBuffer());
/** [row, field] of every error: what a test checks besides the wording. */
const where = (r: ParsedWordFile) => r.errors.map((e) => [e.row, e.field]);

const ZH_HEADER = '词语,分类,级别,原因,建议改写,允许语境,启用,id\n';
const EN_HEADER = 'word,category,severity,reason\n';

const word = (w: string, extra: Partial<RiskWord> = {}): RiskWord => ({
  id: `own:${w}`,
  word: w,
  category: '绝对化用语',
  severity: 'block',
  reason: '《广告法》第九条',
  suggestions: [],
  ...extra,
});

describe('parseWordFile: columns and values', () => {
  it('reads Chinese headers, Chinese severity and yes/no values, lists with any separator', async () => {
    const r = await parseCsvText(
      ZH_HEADER +
        '最优惠,绝对化用语,禁止,"《广告法》第九条, 绝对化用语",优惠力度大｜实惠;划算、超值,最优惠的办法；最优惠的方案,是,abs:最优惠\n' +
        '第一,绝对化用语,提示,不能说第一,,第一次|第一步,否,\n' +
        '顶级,绝对化用语,拦截,原因,,,0,\n' +
        '保本,金融收益,警告,原因,,,1,\n',
    );
    expect(r.errors).toEqual([]);
    expect(r.encoding).toBe('utf-8');
    expect(r.rows).toEqual([
      {
        row: 2,
        word: '最优惠',
        category: '绝对化用语',
        severity: 'block',
        reason: '《广告法》第九条, 绝对化用语',
        suggestions: ['优惠力度大', '实惠', '划算', '超值'],
        allow: ['最优惠的办法', '最优惠的方案'],
        enabled: true,
        id: 'abs:最优惠',
      },
      { row: 3, word: '第一', category: '绝对化用语', severity: 'warn', reason: '不能说第一', suggestions: [], allow: ['第一次', '第一步'], enabled: false },
      { row: 4, word: '顶级', category: '绝对化用语', severity: 'block', reason: '原因', suggestions: [], allow: [], enabled: false },
      { row: 5, word: '保本', category: '金融收益', severity: 'warn', reason: '原因', suggestions: [], allow: [], enabled: true },
    ]);
  });

  it('reads English headers in any order, in any case or width, and fills the optional columns', async () => {
    const r = await parseCsvText('Reason,SEVERITY,ｗｏｒｄ,category\n不能承诺,WARN,稳赚, 金融收益 \n');
    expect(r.errors).toEqual([]);
    expect(r.rows).toEqual([{ row: 2, word: '稳赚', category: '金融收益', severity: 'warn', reason: '不能承诺', suggestions: [], enabled: true }]);
  });

  it('takes TRUE/FALSE and an empty enabled cell (true)', async () => {
    const r = await parseCsvText('word,category,severity,reason,enabled\n甲乙,c,block,r,FALSE\n丙丁,c,block,r,\n');
    expect(r.rows.map((x) => x.enabled)).toEqual([false, true]);
  });

  it('strips the formula guard (a leading \' before = + - @) and nothing else', async () => {
    const r = await parseCsvText(`${EN_HEADER}'=最优惠,c,block,'+1 r\n'最优惠',c,block,'@r\n''-最优惠,c,block,a'=b\n`);
    expect(r.errors).toEqual([]);
    expect(r.rows.map((x) => [x.word, x.reason])).toEqual([
      ['=最优惠', '+1 r'],
      ["'最优惠'", '@r'],
      ["'-最优惠", "a'=b"], // one quote comes off (export doubles it before a guarded start); mid-text ones stay
    ]);
  });

  it('numbers rows as Excel does: blank lines count, line breaks inside quotes do not', async () => {
    const r = await parseCsvText(`${EN_HEADER}\n"最\n优惠",c,block,r\n\n\n第一,c,nope,r\n`);
    expect(r.rows.map((x) => x.row)).toEqual([3, 6]);
    expect(where(r)).toEqual([[6, 'severity']]);
  });
});

describe('parseWordFile: encodings', () => {
  const text = `${EN_HEADER}最优惠,绝对化用语,block,广告法禁止\n`;

  it('reads UTF-8 with and without BOM', async () => {
    for (const bytes of [utf8(text), utf8('\ufeff' + text)]) {
      const r = await parseWordFile(bytes, 'w.csv');
      expect(r.encoding).toBe('utf-8');
      expect(r.rows[0]?.word).toBe('最优惠');
    }
  });

  it('reads GBK, even 3 Chinese characters that chardet alone misnames', async () => {
    const bytes = gbk(`${EN_HEADER}最优惠,c,block,r\n`);
    const r = await parseWordFile(bytes, 'w.csv');
    expect(r.encoding).toBe('gbk');
    expect(r.errors).toEqual([]);
    expect(r.rows[0]?.word).toBe('最优惠');
  });

  it('reads GBK as saved by Excel/WPS on Chinese Windows (Chinese headers, punctuation, 繁体 in GBK)', async () => {
    const r = await parseWordFile(gbk('词语,分类,级别,原因\n全網最低價,价格欺诈,禁止,"《价格法》：不得虚构“最低价”"\n'), 'w.csv');
    expect(r.encoding).toBe('gbk');
    expect(r.errors).toEqual([]);
    expect(r.rows[0]).toMatchObject({ word: '全網最低價', reason: '《价格法》：不得虚构“最低价”' });
  });

  it('reads GB18030 four-byte characters (emoji) in a GBK file', async () => {
    const r = await parseWordFile(new Uint8Array(iconv.encode(`${ZH_HEADER}最优惠,c,禁止,别用🔥,,,,\n`, 'gb18030')), 'w.csv');
    expect(r.encoding).toBe('gbk');
    expect(r.rows[0]?.reason).toBe('别用🔥');
  });

  it('rejects Big5 with a message naming the accepted encodings and how to save as UTF-8', async () => {
    const r = await parseWordFile(new Uint8Array(iconv.encode('詞語,分類,級別,原因\n最優惠,絕對化用語,禁止,廣告法禁止使用絕對化用語\n', 'big5')), 'big5.csv');
    expect(r.rows).toEqual([]);
    expect(where(r)).toEqual([[0, 'file']]);
    expect(r.errors[0]!.message).toMatch(/"big5\.csv" is neither UTF-8 nor GBK text \(it looks like Big5\)/);
    expect(r.errors[0]!.message).toContain('GBK/GB18030');
    expect(r.errors[0]!.message).toContain('CSV UTF-8');
  });

  it('rejects Shift-JIS, UTF-16 (with and without BOM) and binary files', async () => {
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(iconv.encode('単語,分類,重大度,理由\n最高品質,絶対,禁止,広告法で禁止されています\n', 'shift_jis')), /neither UTF-8 nor GBK/],
      [new Uint8Array(iconv.encode('\ufeff' + text, 'utf-16le')), /UTF-16/],
      [new Uint8Array(iconv.encode(text, 'utf-16le')), /zero bytes: UTF-16 without a BOM, or a binary/],
      [new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0xff, 0xfe, 0x80]), /not a text file/],
      [new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0xd7, 0xee]), /UTF-8 mark \(BOM\) but the rest is not UTF-8/],
    ];
    for (const [bytes, message] of cases) {
      const r = await parseWordFile(bytes, 'w.csv');
      expect(where(r)).toEqual([[0, 'file']]);
      expect(r.errors[0]!.message).toMatch(message);
      expect(r.errors[0]!.message).toContain('Accepted: CSV in UTF-8');
    }
  });

  it('names the cell and the likely original when UTF-8 text was opened as GBK and saved again (mojibake)', async () => {
    const garbledWord = iconv.decode(Buffer.from('最优惠', 'utf8'), 'gbk'); // what Notepad/Excel would show: 鏈€浼樻儬
    expect(garbledWord).not.toBe('最优惠');
    const r = await parseCsvText(`${EN_HEADER}第一,c,block,r\n${garbledWord},c,block,r\n`);
    expect(where(r)).toEqual([[3, 'word']]);
    expect(r.errors[0]!.message).toContain(`Row 3, column A "word": the text "${garbledWord}" looks like UTF-8 read as GBK; it probably means "最优惠"`);
  });

  it('names the cell when GBK text was opened as Western (Windows-1252) and saved as UTF-8', async () => {
    const garbledReason = iconv.decode(iconv.encode('广告法禁止', 'gbk'), 'win1252');
    const r = await parseCsvText(`${EN_HEADER}最优惠,c,block,${garbledReason}\n`);
    expect(where(r)).toEqual([[2, 'reason']]);
    expect(r.errors[0]!.message).toContain('it probably means "广告法禁止"');
  });

  it('names the cell holding a replacement character (text lost earlier), and a garbled header as a file error', async () => {
    const lost = await parseCsvText(`${EN_HEADER}最优惠,c,block,广告\ufffd禁止\n`);
    expect(where(lost)).toEqual([[2, 'reason']]);
    expect(lost.errors[0]!.message).toContain('lost in an earlier wrong conversion');

    const header = iconv.decode(Buffer.from('词语,分类,级别,原因\n最优惠,c,禁止,r\n', 'utf8'), 'gbk');
    const r = await parseCsvText(header);
    expect(where(r)).toEqual([[0, 'file']]);
    expect(r.errors[0]!.message).toMatch(/is garbled: the header ".*" looks like UTF-8 read as GBK; it probably means "词语"/);
  });

  it('does not mistake ordinary text for mojibake', async () => {
    const r = await parseCsvText(`${EN_HEADER}Café,Crème brûlée,block,naïve façade\n鏈接,c,block,链接的繁体\n赚钱,c,block,r\n`);
    expect(r.errors).toEqual([]);
  });
});

describe('parseWordFile: XLSX', () => {
  it('reads the first sheet, typed cells as text, and keeps Excel row numbers across blank rows', async () => {
    const bytes = await xlsx([
      [null],
      ['词语', '分类', '级别', '原因', '启用', '建议改写'],
      [100, '价格欺诈', '禁止', '不能承诺', false, 1.5],
      [null, null, null],
      ['第一', '绝对化用语', 'warn', { value: new Date(Date.UTC(2024, 0, 31)), type: Date, format: 'yyyy-mm-dd' }, true, null],
    ]);
    const r = await parseWordFile(bytes, 'words.xlsx');
    expect(r.encoding).toBe('xlsx');
    expect(r.errors).toEqual([]);
    expect(r.rows).toEqual([
      { row: 3, word: '100', category: '价格欺诈', severity: 'block', reason: '不能承诺', enabled: false, suggestions: ['1.5'] },
      { row: 5, word: '第一', category: '绝对化用语', severity: 'warn', reason: '2024-01-31', enabled: true, suggestions: [] },
    ]);
  });

  it('is recognised by content, whatever the file is called', async () => {
    const bytes = await xlsx([['word', 'category', 'severity', 'reason'], ['最优惠', 'c', 'block', 'r']]);
    expect((await parseWordFile(bytes, 'words.csv')).encoding).toBe('xlsx');
  });

  it('rejects a zip bomb by what it really unpacks to, whatever its ZIP directory says', async () => {
    const rows: unknown[][] = [['word', 'category', 'severity', 'reason'], ['最优惠', 'c', 'block', ' '.repeat(9 * 1024 * 1024)]];
    const honest = await xlsx(rows);
    expect(honest.length).toBeLessThan(100 * 1024);
    // The same bomb with every local and central-directory size rewritten to 100 bytes.
    const lying = honest.slice();
    const v = new DataView(lying.buffer, lying.byteOffset, lying.byteLength);
    for (let i = 0; i + 4 <= lying.length; i++) {
      if (v.getUint32(i, true) === 0x04034b50) v.setUint32(i + 22, 100, true);
      else if (v.getUint32(i, true) === 0x02014b50) v.setUint32(i + 24, 100, true);
    }
    for (const bytes of [honest, lying]) {
      const r = await parseWordFile(bytes, 'bomb.xlsx');
      expect(where(r)).toEqual([[0, 'file']]);
      expect(r.tooLarge).toBe(true);
      expect(r.errors[0]!.message).toMatch(/"bomb\.xlsx" unpacks to more than 8 MB, the most a word list may take/);
    }
    expect(WORD_FILE_LIMITS.maxUnpackedBytes).toBe(8 * 1024 * 1024);
  });

  it('rejects a broken workbook and an old .xls with a message saying what to do', async () => {
    const broken = await parseWordFile(utf8('PK\u0003\u0004 not really a zip'), 'w.xlsx');
    expect(where(broken)).toEqual([[0, 'file']]);
    expect(broken.errors[0]!.message).toContain('not a readable Excel workbook');
    const xls = await parseWordFile(new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]), 'w.xls');
    expect(xls.errors[0]!.message).toContain('Excel 97–2003 workbook (.xls)');
  });
});

describe('parseWordFile: errors name the row and field', () => {
  it('file too big', async () => {
    const r = await parseCsvText(`${EN_HEADER}最优惠,c,block,r\n`, { maxBytes: 20 });
    expect(where(r)).toEqual([[0, 'file']]);
    expect(r.errors[0]!.message).toMatch(/"words\.csv" is 1 KB; the limit is 1 KB/);
  });

  it('too many rows', async () => {
    const r = await parseCsvText(`${EN_HEADER}甲乙,c,block,r\n丙丁,c,block,r\n戊己,c,block,r\n`, { maxRows: 2 });
    expect(where(r)).toEqual([[0, 'file']]);
    expect(r.errors[0]!.message).toContain('has 3 word rows; the limit is 2');
  });

  it('empty file, blank file, header without rows', async () => {
    for (const [bytes, message] of [
      [new Uint8Array(), 'is empty'],
      [utf8('\ufeff\r\n , \n'), 'has no rows. The first row must name the columns: 词语/word, 分类/category'],
      [utf8(EN_HEADER + ',,,\n'), 'has a header row but no words below it'],
    ] as const) {
      const r = await parseWordFile(bytes, 'w.csv');
      expect(where(r)).toEqual([[0, 'file']]);
      expect(r.errors[0]!.message).toContain(message);
    }
  });

  it('missing required columns, unknown and repeated columns, all at once', async () => {
    const r = await parseCsvText('word,colour,词语,备注\n最优惠,red,x,y\n');
    expect(where(r)).toEqual([
      [1, 'header'],
      [1, 'header'],
      [1, 'header'],
      [1, 'category'],
      [1, 'severity'],
      [1, 'reason'],
    ]);
    expect(r.errors[0]!.message).toBe(
      'Row 1, column B: unknown column "colour". The columns are 词语/word, 分类/category, 级别/severity, 原因/reason, 建议改写/suggestions, 允许语境/allow, 启用/enabled, id. Rename it or delete the column.',
    );
    expect(r.errors[1]!.message).toBe('Row 1, column C: "词语" repeats column A (词语/word). Keep one of them.');
    expect(r.errors[3]!.message).toBe('Row 1: the required column 分类/category is missing. The header row needs 词语/word, 分类/category, 级别/severity, 原因/reason.');
  });

  it('a semicolon- or tab-separated file gets a hint about commas', async () => {
    const r = await parseCsvText('word;category;severity;reason\n最优惠;c;block;r\n');
    expect(r.errors[0]!.message).toContain('Separate the columns with commas');
  });

  it('unbalanced quotes name the row (as Excel numbers it) and the column', async () => {
    const r = await parseCsvText(`${EN_HEADER}"最\n优惠",c,block,r\n第一,c,block,"广告法\n禁止\n`);
    expect(where(r)).toEqual([[3, 'reason']]);
    expect(r.errors[0]!.message).toMatch(/^Row 3, column D "reason": a quote \(\"\) opens a value that is never closed/);
  });

  it('text after a closing quote and a value outside the columns (an unquoted comma) name row and column', async () => {
    const r = await parseCsvText(`${EN_HEADER}"最优惠"x,c,block,r\n第一,c,block,广告法,禁止\n`);
    expect(where(r)).toEqual([
      [2, 'word'],
      [3, 'file'],
    ]);
    expect(r.errors[0]!.message).toContain('Row 2, column A "word": text after the closing quote ("x")');
    expect(r.errors[1]!.message).toContain('Row 3, column E: "禁止" is in a column without a header');
  });

  it('over-long cells and words, empty words, bad severity and bad enabled', async () => {
    const long = '长'.repeat(WORD_FILE_LIMITS.maxCellLength + 1);
    const r = await parseCsvText(
      'word,category,severity,reason,enabled\n' +
        `最优惠,c,block,${long},true\n` +
        `${'词'.repeat(51)},c,block,r,true\n` +
        ',c,block,r,true\n' +
        '第一,c,high,r,true\n' +
        '顶级,c,block,r,maybe\n' +
        '首选,,,,\n',
    );
    expect(where(r)).toEqual([
      [2, 'reason'],
      [3, 'word'],
      [4, 'word'],
      [5, 'severity'],
      [6, 'enabled'],
      [7, 'severity'],
      [7, 'category'],
      [7, 'reason'],
    ]);
    const m = r.errors.map((e) => e.message);
    expect(m[0]).toBe('Row 2, column D "reason": the text is 1001 characters long; the limit is 1000. Shorten it.');
    expect(m[1]).toBe('Row 3: the word is 51 characters long; the limit is 50.');
    expect(m[2]).toBe('Row 4: the word is empty; write the risky word or phrase.');
    expect(m[3]).toBe('Row 5, column C "severity": "high" is not a severity; write block (禁止/拦截) or warn (提示/警告).');
    expect(m[4]).toBe('Row 6, column E "enabled": "maybe" is not yes or no; write true/false, 是/否 or 1/0 (empty means true).');
    expect(m[5]).toContain('Row 7, column C "severity": the severity is empty');
    expect(m[6]).toContain('Row 7: the category is empty');
  });

  it('duplicates within the file name both rows; an allowed phrase without the word names its row', async () => {
    const r = await parseCsvText(`word,category,severity,reason,allow\n最优惠,c,block,r,\n\n第一,c,block,r,第一次|头一回\n最优惠,c,warn,r,\n`);
    expect(where(r)).toEqual([
      [4, 'allow'],
      [5, 'word'],
    ]);
    expect(r.errors[0]!.message).toBe('Row 4: the allowed phrase "头一回" does not contain "第一", so it could never apply.');
    expect(r.errors[1]!.message).toBe('Row 5: "最优惠" is already on row 2; keep one of them.');
  });

  it('a word already in the library is a duplicate unless the row carries that entry\'s id (re-import updates it)', async () => {
    const existing = [word('最优惠', { id: 'abs:最优惠' }), word('第一', { id: 'abs:第一' })];
    const r = await parseCsvText('word,category,severity,reason,id\n最优惠,c,warn,r,abs:最优惠\n第一,c,block,r,\n', { existing });
    expect(where(r)).toEqual([[3, 'word']]);
    expect(r.errors[0]!.message).toBe('Row 3: "第一" is already in the library; edit that entry instead.');
  });

  it('the same id twice names both rows', async () => {
    const r = await parseCsvText('word,category,severity,reason,id\n最优惠,c,warn,r,x:1\n第一,c,block,r,x:1\n');
    expect(where(r)).toEqual([[3, 'id']]);
    expect(r.errors[0]!.message).toBe('Row 3: the id "x:1" is already on row 2; each entry may appear once.');
  });

  it('returns every error in row order, capped, with the full count', async () => {
    const lines = Array.from({ length: 130 }, (_, i) => `词${i},c,bad,r`).join('\n');
    const r = await parseCsvText(`${EN_HEADER}${lines}\n`);
    expect(r.errorCount).toBe(130);
    expect(r.errors).toHaveLength(WORD_FILE_LIMITS.maxErrors);
    expect(r.errors.map((e) => e.row)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    expect(r.rows).toHaveLength(130);
  });
});

describe('serializeWordFile', () => {
  const words = [
    word('最优惠', { id: 'abs:最优惠', suggestions: ['优惠力度大', '实惠'], allow: ['最优惠的办法'], reason: '广告法, "第九条"\n第二行' }),
    word('=HYPERLINK("x")', { severity: 'warn', enabled: false, suggestions: ['-1', '+1'], reason: '@cmd' }),
  ];

  it('writes CSV as UTF-8 with BOM, Chinese headers and values, quoting where needed, guarding formulas', async () => {
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await serializeWordFile(words, 'csv'));
    expect(text).toBe(
      '\ufeff词语,分类,级别,原因,建议改写,允许语境,启用,id\r\n' +
        '最优惠,绝对化用语,禁止,"广告法, ""第九条""\n第二行",优惠力度大｜实惠,最优惠的办法,是,abs:最优惠\r\n' +
        `"'=HYPERLINK(""x"")",绝对化用语,提示,'@cmd,'-1｜+1,,否,"own:=HYPERLINK(""x"")"\r\n`,
    );
  });

  it('writes English headers and values, and GBK without BOM on request', async () => {
    const bytes = await serializeWordFile(words.slice(0, 1), 'csv', { encoding: 'gbk', headers: 'en' });
    expect(bytes[0]).not.toBe(0xef);
    expect(iconv.decode(Buffer.from(bytes), 'gbk')).toMatch(/^word,category,severity,reason,suggestions,allow,enabled,id\r\n最优惠,绝对化用语,block,.*,true,abs:最优惠\r\n$/s);
  });

  it('guards formulas in XLSX too, and the guard comes off on import', async () => {
    const bytes = await serializeWordFile(words, 'xlsx');
    const r = await parseWordFile(bytes, 'w.xlsx');
    expect(r.errors).toEqual([]);
    expect(r.rows[1]).toMatchObject({ word: '=HYPERLINK("x")', reason: '@cmd', suggestions: ['-1', '+1'], enabled: false });
  });

  it('the shipped library exports and re-imports unchanged (ids kept, no duplicate errors against itself)', async () => {
    for (const format of ['csv', 'xlsx'] as const) {
      const bytes = await serializeWordFile(SHIPPED_RISK_WORDS, format);
      const r = await parseWordFile(bytes, `shipped.${format}`, { existing: SHIPPED_RISK_WORDS });
      expect(r.errors).toEqual([]);
      expect(r.rows.map(({ row: _row, ...w }) => w)).toEqual(SHIPPED_RISK_WORDS.map(normalised));
    }
  });
});

/**
 * What a word reads back as: optional fields filled in as the file shows them. A shipped phrase
 * pattern's anchors and context stay with the shipped entry (a row with its id edits it), not in the file.
 */
function normalised(w: RiskWord): RiskWord {
  const { anchors: _anchors, before: _before, after: _after, beforeEnds: _ends, ...rest } = w;
  return { ...rest, allow: w.allow ?? [], enabled: w.enabled !== false };
}

describe('round trip: serialize → parse gives the same words', () => {
  // Characters that stress the format: Chinese, quotes, commas, line breaks, formula starts, emoji.
  const COMMON = [...'最优惠第一保本稳赚不赔治愈全网低价abcXYZ019', ' ', ',', '"', "'", '=', '+', '-', '@', '，', '。', '！', '“', '”', '《', '》'];
  const EMOJI = ['😀', '🔥', '👍🏻'];
  const SEPARATORS = ['｜', '|', ';', '；', '、'];

  function wordsArb(extra: string[]) {
    const text = (chars: string[], maxLength: number, newlines = false) =>
      fc
        .array(fc.constantFrom(...chars, ...(newlines ? ['\n'] : [])), { minLength: 1, maxLength })
        .map((a) => a.join(''))
        .filter((s) => s.trim() === s && s !== '');
    const plain = [...COMMON, ...extra];
    const entry = fc
      .record({
        word: text(plain, 12),
        category: text([...plain, ...SEPARATORS], 8),
        severity: fc.constantFrom('block' as const, 'warn' as const),
        reason: text([...plain, ...SEPARATORS], 40, true),
        suggestions: fc.array(text(plain, 10, true), { maxLength: 3 }),
        around: fc.array(fc.tuple(text(plain, 3), text(plain, 3)), { maxLength: 2 }),
        enabled: fc.option(fc.boolean(), { nil: undefined }),
      })
      .map(({ around, ...w }): Omit<RiskWord, 'id'> => ({ ...w, allow: around.map(([a, b]) => a + w.word + b) }));
    return fc
      .uniqueArray(entry, { selector: (w) => w.word, minLength: 1, maxLength: 8 })
      .map((ws) => ws.map((w, i): RiskWord => ({ id: `own:${i}`, ...w })));
  }

  const roundTrip = async (words: RiskWord[], format: 'csv' | 'xlsx', encoding: 'utf-8' | 'gbk', headers: 'zh' | 'en') => {
    const r = await parseWordFile(await serializeWordFile(words, format, { encoding, headers }), `w.${format}`);
    expect(r.errors).toEqual([]);
    expect(r.encoding).toBe(format === 'xlsx' ? 'xlsx' : encoding);
    expect(r.rows.map(({ row: _row, ...w }) => w)).toEqual(words.map(normalised));
    expect(r.rows.map((w) => w.row)).toEqual(words.map((_, i) => i + 2));
  };

  it('CSV UTF-8', async () => {
    await fc.assert(fc.asyncProperty(wordsArb(EMOJI), fc.constantFrom('zh' as const, 'en' as const), (w, h) => roundTrip(w, 'csv', 'utf-8', h)));
  });

  it('CSV GBK (GBK characters only)', async () => {
    await fc.assert(fc.asyncProperty(wordsArb([]), fc.constantFrom('zh' as const, 'en' as const), (w, h) => roundTrip(w, 'csv', 'gbk', h)));
  });

  it('XLSX', async () => {
    await fc.assert(
      fc.asyncProperty(wordsArb(EMOJI), fc.constantFrom('zh' as const, 'en' as const), (w, h) => roundTrip(w, 'xlsx', 'utf-8', h)),
      { numRuns: 40 },
    );
  });
});
