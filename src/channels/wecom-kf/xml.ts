/**
 * The small XML dialect of WeCom callbacks: one <xml> element whose children are simple elements
 * holding text or CDATA, e.g. <xml><ToUserName><![CDATA[ww…]]></ToUserName><Encrypt>…</Encrypt></xml>.
 *
 * Parsed by hand, strictly: anything outside that shape (attributes aside) is refused. Why not a
 * general XML library: fast-xml-parser (validate + parse) was ~13 % of the callback route's CPU in
 * bench/callback-ingest; this parser reads only this dialect, has no entity expansion to attack, and
 * is checked against fast-xml-parser on generated documents in xml.test.ts.
 */
export class XmlError extends Error {}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Parses `<xml>…</xml>` into a flat map of child name → text. Throws XmlError on anything else. */
export function parseFlatXml(body: string): Record<string, string> {
  try {
    return parseStrict(body);
  } catch (err) {
    if (err instanceof XmlError) throw err;
    // Reading untrusted text must never fail as a server error: whatever went wrong, the input was malformed.
    throw new XmlError(`malformed XML: ${String((err as Error)?.message ?? err).slice(0, 120)}`);
  }
}

function parseStrict(body: string): Record<string, string> {
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw new XmlError('XML with DOCTYPE or ENTITY declarations is not accepted');
  let i = skipProlog(body);
  const root = openTag(body, i);
  if (root.name !== 'xml') throw new XmlError(`expected an <xml> root element, found <${root.name}>`);
  i = root.end;
  const out: Record<string, string> = {};
  if (root.selfClosing) return finish(body, i, out);
  for (;;) {
    i = skipSpace(body, i);
    if (body.startsWith('</', i)) {
      i = closeTag(body, i, 'xml');
      return finish(body, i, out);
    }
    if (body[i] !== '<') throw new XmlError(`malformed XML: text outside an element at offset ${i}`);
    const child = openTag(body, i);
    i = child.end;
    let value = '';
    if (!child.selfClosing) {
      const read = readText(body, i, child.name);
      value = read.text;
      i = closeTag(body, read.end, child.name);
    }
    out[child.name] = value;
  }
}

function finish(body: string, i: number, out: Record<string, string>): Record<string, string> {
  if (skipSpace(body, i) !== body.length) throw new XmlError('malformed XML: content after </xml>');
  return out;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  return i;
}

/** Skips a BOM, an <?xml …?> declaration and comments before the root. */
function skipProlog(s: string, i = 0): number {
  if (s.charCodeAt(0) === 0xfeff) i = 1;
  for (;;) {
    i = skipSpace(s, i);
    if (s.startsWith('<?', i)) {
      const end = s.indexOf('?>', i);
      if (end < 0) throw new XmlError('malformed XML: unterminated <? … ?>');
      i = end + 2;
    } else if (s.startsWith('<!--', i)) {
      const end = s.indexOf('-->', i);
      if (end < 0) throw new XmlError('malformed XML: unterminated comment');
      i = end + 3;
    } else return i;
  }
}

function openTag(s: string, i: number): { name: string; end: number; selfClosing: boolean } {
  if (s[i] !== '<') throw new XmlError(`malformed XML: expected an element at offset ${i}`);
  const gt = s.indexOf('>', i);
  if (gt < 0) throw new XmlError('malformed XML: unterminated tag');
  let inner = s.slice(i + 1, gt);
  const selfClosing = inner.endsWith('/');
  if (selfClosing) inner = inner.slice(0, -1);
  // WeCom's elements carry no attributes; any given are ignored, as a general parser would.
  const name = inner.trim().split(/\s+/, 1)[0] ?? '';
  if (!NAME.test(name)) throw new XmlError(`malformed XML: bad element name "${name.slice(0, 40)}"`);
  return { name, end: gt + 1, selfClosing };
}

function closeTag(s: string, i: number, name: string): number {
  const expected = `</${name}`;
  if (!s.startsWith(expected, i)) throw new XmlError(`malformed XML: <${name}> is not closed`);
  const j = skipSpace(s, i + expected.length);
  if (s[j] !== '>') throw new XmlError(`malformed XML: <${name}> is not closed`);
  return j + 1;
}

/**
 * Text and CDATA sections up to the closing tag; a nested element is refused. Plain text is trimmed
 * (it is indentation in WeCom's documents), CDATA is kept verbatim.
 */
function readText(s: string, i: number, name: string): { text: string; end: number } {
  let text = '';
  for (;;) {
    if (s.startsWith('<![CDATA[', i)) {
      const end = s.indexOf(']]>', i + 9);
      if (end < 0) throw new XmlError(`malformed XML: unterminated CDATA in <${name}>`);
      text += s.slice(i + 9, end);
      i = end + 3;
      continue;
    }
    const lt = s.indexOf('<', i);
    if (lt < 0) throw new XmlError(`malformed XML: <${name}> is not closed`);
    text += decodeEntities(s.slice(i, lt), name).trim();
    i = lt;
    if (s.startsWith('</', i)) return { text, end: i };
    if (!s.startsWith('<![CDATA[', i)) throw new XmlError(`unexpected nested element inside <${name}>`);
  }
}

function decodeEntities(raw: string, name: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);|&/g, (m, ent: string | undefined) => {
    if (!ent) throw new XmlError(`malformed XML: bare "&" in <${name}>`);
    if (ent.startsWith('#')) return characterReference(ent, name);
    const v = ENTITIES[ent];
    if (v === undefined) throw new XmlError(`malformed XML: unknown entity &${ent}; in <${name}>`);
    return v;
  });
}

/**
 * `&#N;` / `&#xN;`: only code points XML allows as characters (XML 1.0 §2.2 Char). Anything else —
 * beyond U+10FFFF, a surrogate, NUL and most C0 controls, U+FFFE/U+FFFF — is malformed input, not a
 * RangeError from String.fromCodePoint (which used to surface as a 500).
 */
function characterReference(ent: string, name: string): string {
  const hex = ent.startsWith('#x');
  const digits = ent.slice(hex ? 2 : 1);
  // Longer than any valid code point (10FFFF / 1114111, with a few leading zeros allowed).
  const cp = digits.length > 10 ? NaN : parseInt(digits, hex ? 16 : 10);
  const allowed =
    cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
  if (!allowed) throw new XmlError(`malformed XML: character reference &${ent.slice(0, 16)}; in <${name}> is not a character XML allows`);
  return String.fromCodePoint(cp);
}
