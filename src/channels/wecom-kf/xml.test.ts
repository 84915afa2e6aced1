import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { parseFlatXml, XmlError } from './xml.js';

const oracle = new XMLParser({ ignoreAttributes: true, processEntities: true, parseTagValue: false, trimValues: true });

describe('parseFlatXml', () => {
  it('reads a WeCom callback envelope and event', () => {
    expect(parseFlatXml('<xml><ToUserName><![CDATA[ww123]]></ToUserName><Encrypt><![CDATA[abc+/=]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>')).toEqual({
      ToUserName: 'ww123',
      Encrypt: 'abc+/=',
      AgentID: '1000002',
    });
    expect(parseFlatXml('<?xml version="1.0"?>\n<xml>\n  <CreateTime>1409659589</CreateTime>\n  <Empty/>\n  <Amp>a &amp; b &#x4F60;</Amp>\n</xml>\n')).toEqual({ CreateTime: '1409659589', Empty: '', Amp: 'a & b 你' });
  });

  it.each([
    ['no root', ''],
    ['another root', '<root><a>1</a></root>'],
    ['an unclosed child', '<xml><a>1</xml>'],
    ['an unclosed root', '<xml><a>1</a>'],
    ['a nested element', '<xml><a><b>1</b></a></xml>'],
    ['trailing content', '<xml><a>1</a></xml><xml/>'],
    ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY e "x">]><xml><a>&e;</a></xml>'],
    ['an unknown entity', '<xml><a>&e;</a></xml>'],
    ['a bare ampersand', '<xml><a>a & b</a></xml>'],
    ['an unterminated CDATA', '<xml><a><![CDATA[x</a></xml>'],
    ['a mismatched close tag', '<xml><a>1</b></xml>'],
  ])('refuses %s', (_name, body) => {
    expect(() => parseFlatXml(body)).toThrow(XmlError);
  });

  it('agrees with fast-xml-parser on generated flat documents', () => {
    const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/);
    const text = fc.string({ maxLength: 40 }).filter((t) => !t.includes(']]>'));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, text, fc.boolean()), { selector: ([n]) => n, maxLength: 8 }), (fields) => {
        const body = `<xml>${fields
          .map(([n, t, cdata]) => `<${n}>${cdata ? `<![CDATA[${t}]]>` : t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</${n}>`)
          .join('')}</xml>`;
        const ours = parseFlatXml(body);
        const theirs = (oracle.parse(body) as { xml?: Record<string, unknown> | string }).xml;
        const expected: Record<string, string> = {};
        for (const [n] of fields) expected[n] = String(typeof theirs === 'object' && theirs ? (theirs[n] ?? '') : '');
        expect(ours).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses character references to what XML does not allow as a character', () => {
    for (const ref of ['&#x110000;', '&#1114112;', '&#xD800;', '&#xDFFF;', '&#0;', '&#x1;', '&#xFFFE;', '&#99999999999999999999;', '&#x0000000000041;'])
      expect(() => parseFlatXml(`<xml><Encrypt>${ref}</Encrypt></xml>`), ref).toThrow(XmlError);
    expect(parseFlatXml('<xml><a>&#x10FFFF;&#9;&#x41;&#65;</a></xml>').a).toBe('\u{10FFFF}\tAA');
  });

  it('only ever returns a map or throws XmlError, on random and mutated input (fuzz)', () => {
    const valid = '<?xml version="1.0"?><xml><ToUserName><![CDATA[ww1]]></ToUserName><Encrypt>a&amp;b &#x4F60;</Encrypt><AgentID>1</AgentID></xml>';
    const fragment = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom('&#x110000;', '&#xD800;', '&#0;', '&#;', '&#x;', '&', '<', '>', ']]>', '<![CDATA[', '<!--', '<?', '</', '/>', '<!DOCTYPE', '\uFEFF', '\uD800'),
      fc.integer({ min: 0, max: 0x7fffffff }).map((n) => `&#${n};`),
      fc.integer({ min: 0, max: 0x7fffffff }).map((n) => `&#x${n.toString(16)};`),
    );
    const mutated = fc.array(fc.tuple(fc.nat(), fc.nat({ max: 6 }), fragment), { maxLength: 5 }).map((edits) =>
      edits.reduce((t, [at, del, ins]) => {
        const i = at % (t.length + 1);
        return t.slice(0, i) + ins + t.slice(i + del);
      }, valid),
    );
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ maxLength: 200 })), (body) => {
        try {
          const out = parseFlatXml(body);
          expect(typeof out).toBe('object');
        } catch (err) {
          expect(err).toBeInstanceOf(XmlError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
