/**
 * Imports are parsed off the event loop, within limits: a zip-bomb workbook (megabytes of whitespace
 * compressed to a few KB, its ZIP directory lying about the sizes) is refused with 413 by counting
 * what it really unpacks to; one under that size but pathological to parse is stopped at the time
 * limit with 422 — and while it is being parsed the server keeps answering. Nothing is imported.
 */
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, eventually, type Stack } from './stack.js';

/** A minimal valid XLSX whose sheet has `whitespaceBytes` of blanks between its tags. */
function whitespaceWorkbook(whitespaceBytes: number, opts: { lieAboutSizes?: boolean; farCell?: string } = {}): Uint8Array {
  const ws = ' '.repeat(whitespaceBytes / 2);
  const far = opts.farCell ? `<row r="${opts.farCell.replace(/^[A-Z]+/, '')}"><c r="${opts.farCell}" t="inlineStr"><is><t>x</t></is></c></row>` : '';
  const files = {
    '[Content_Types].xml': strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    ),
    '_rels/.rels': strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    ),
    'xl/workbook.xml': strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    ),
    'xl/_rels/workbook.xml.rels': strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    ),
    'xl/worksheets/sheet1.xml': strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${ws}<row r="1">${ws}<c r="A1" t="inlineStr"><is><t>word</t></is></c></row>${far}</sheetData></worksheet>`,
    ),
  };
  const zip = zipSync(files, { level: 9 });
  if (opts.lieAboutSizes) {
    // Every local header and central-directory entry claims 100 bytes unpacked.
    const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    for (let i = 0; i + 4 <= zip.length; i++) {
      const sig = v.getUint32(i, true);
      if (sig === 0x04034b50) v.setUint32(i + 22, 100, true);
      else if (sig === 0x02014b50) v.setUint32(i + 24, 100, true);
    }
  }
  return zip;
}

describe('imports under hostile files', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack('sqlite', { wereply: { workers: false }, env: { WEREPLY_IMPORT_TIMEOUT_MS: '2000' } });
  });
  afterAll(async () => s?.close());

  const upload = (bytes: Uint8Array, name: string, query = '?dry_run=true') => {
    const form = new FormData();
    form.append('file', new Blob([bytes]), name);
    return s.api('POST', `/api/compliance/words/import${query}`, form);
  };
  const snapshot = async () => ({
    words: ((await s.api('GET', '/api/compliance/words')).body as unknown[]).length,
    edits: (await s.wr.store.db.selectFrom('risk_word_edits').select('id').execute()).length,
    imported: (await s.api('GET', '/api/compliance/audit?action=words_imported')).body,
  });
  const importsRunning = async () => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    return /wereply_imports_running\{parser="risk-words"\} 1\b/.test(text);
  };

  it('refuses a 10 MB zip bomb whose directory lies about its sizes with 413, saying why, and imports nothing', async () => {
    const bomb = whitespaceWorkbook(10 * 1024 * 1024, { lieAboutSizes: true });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const before = await snapshot();
    for (const query of ['?dry_run=true', '']) {
      const r = await upload(bomb, 'bomb.xlsx', query);
      expect(r.status).toBe(413);
      expect(r.body.error).toMatch(/"bomb\.xlsx" unpacks to more than 8 MB/);
      expect(r.body.reason).toBe('too_large');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('keeps answering other requests while a slow workbook is parsed, and imports nothing from it', async () => {
    // 6 MB of blanks between the tags: under the unpacked limit, and slow to parse (on the old code it
    // blocked the event loop for over a minute). Whatever the outcome (a 400 for its content, or 422 at
    // the time limit), other requests are answered while it is parsed.
    const slow = whitespaceWorkbook(6 * 1024 * 1024);
    const before = await snapshot();
    let settled = false;
    const pending = upload(slow, 'slow.xlsx', '').finally(() => (settled = true));
    // A positive signal that the parse is under way, then other requests are answered meanwhile.
    await eventually(importsRunning, 20_000, 'the import to start parsing');
    expect(settled).toBe(false);
    const health = await fetch(`${s.url}/healthz`);
    expect(health.status).toBe(200);
    expect((await s.api('GET', '/api/compliance/words')).status).toBe(200);
    const r = await pending;
    expect([400, 422]).toContain(r.status);
    if (r.status === 422) expect(r.body).toMatchObject({ reason: 'timed_out' });
    expect(await snapshot()).toEqual(before);
    // The worker is gone and the next import works.
    await eventually(async () => !(await importsRunning()), 5000, 'the import worker to be released');
    const ok = await upload(new TextEncoder().encode('word,category,severity,reason\n好词测试,绝对化用语,warn,测试\n'), 'ok.csv');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ dry_run: true, added: 1 });
  });

  it('stops a workbook whose two cells span the whole sheet (a table of billions of cells) at a limit, 413 or 422', async () => {
    const sparse = whitespaceWorkbook(0, { farCell: 'XFD1048576' });
    const before = await snapshot();
    const r = await upload(sparse, 'sparse.xlsx', '');
    expect([413, 422]).toContain(r.status);
    expect(['too_large', 'timed_out']).toContain(r.body.reason);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a word list over the row limit with 413 naming the limit, and imports nothing', async () => {
    const rows = Array.from({ length: 5001 }, (_, i) => `限额词${i},绝对化用语,warn,测试`).join('\n');
    const csv = new TextEncoder().encode(`word,category,severity,reason\n${rows}\n`);
    const before = await snapshot();
    const r = await upload(csv, 'many.csv', '');
    expect(r.status).toBe(413);
    expect(r.body.error).toMatch(/5001 word rows; the limit is 5000/);
    expect(r.body.reason).toBe('too_large');
    expect(await snapshot()).toEqual(before);
    // One row fewer is a list like any other.
    const ok = await upload(new TextEncoder().encode(`word,category,severity,reason\n${rows.split('\n').slice(1).join('\n')}\n`), 'fine.csv');
    expect(ok.status).toBe(200);
  });

  it('parses several imports at once, each in its own worker, all answered correctly', async () => {
    const csv = (i: number) => new TextEncoder().encode(`word,category,severity,reason\n并发词${i},绝对化用语,warn,测试\n`);
    const bomb = whitespaceWorkbook(10 * 1024 * 1024, { lieAboutSizes: true });
    const results = await Promise.all([0, 1, 2, 3].map((i) => (i % 2 ? upload(bomb, `bomb${i}.xlsx`) : upload(csv(i), `w${i}.csv`))));
    expect(results.map((r) => r.status)).toEqual([200, 413, 200, 413]);
  });

  it('refuses a holiday calendar with too many lines (parsed in the worker too)', async () => {
    const lines = Array.from({ length: 21_000 }, () => '#').join('\n');
    const res = await fetch(`${s.url}/api/shifts/holidays`, { method: 'PUT', headers: { authorization: 'Bearer test-admin-token', 'content-type': 'text/csv' }, body: lines });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).details[0].message).toMatch(/limit is 20000/);
  });
});
