/**
 * The small XML dialect of WeCom callbacks: a flat <xml> element of text/CDATA children.
 * Parsed with fast-xml-parser, entities off (no expansion attacks), no attributes.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

const parser = new XMLParser({
  ignoreAttributes: true,
  processEntities: false,
  parseTagValue: false,
  trimValues: true,
  cdataPropName: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

export class XmlError extends Error {}

/** Parses `<xml>…</xml>` into a flat map of child name → text. Throws XmlError on anything else. */
export function parseFlatXml(body: string): Record<string, string> {
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw new XmlError('XML with DOCTYPE or ENTITY declarations is not accepted');
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new XmlError(`malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const doc = parser.parse(body) as Record<string, unknown>;
  const root = doc['xml'];
  if (!root || typeof root !== 'object') throw new XmlError('expected an <xml> root element');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(root as Record<string, unknown>)) {
    if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
  }
  return out;
}
