/**
 * PII detection and masking (个人信息脱敏) for WeReply.
 *
 * Pure: plain text in, findings / masked text out; no database, no HTTP, no logging.
 * Callers (log serializers, analytics, exports, API answers for roles without
 * `pii:view`) decide *when* to mask; this module decides *what* and *how*.
 *
 * Detected kinds and masks:
 *
 * | kind        | detected                                                          | masked as                    |
 * |-------------|-------------------------------------------------------------------|------------------------------|
 * | `mobile`    | mainland 1[3-9]x, 11 digits; compact, `138 1234 5678`,             | `138****5678`,               |
 * |             | `138-1234-5678`; optional `+86` / `0086` / `86` / `(+86)` prefix   | `+86 138****5678`,           |
 * |             |                                                                   | `138-****-5678` (separators  |
 * |             |                                                                   | and prefix kept)             |
 * | `id_card`   | 18-digit 居民身份证号 (last char digit or X/x), GB 11643 checksum  | `110101********1234`         |
 * |             | and a real birth date 1900..today; also written 6-8-4 with spaces  | (region code + last 4 kept,  |
 * |             | or dashes. 15-digit legacy numbers are NOT detected (no checksum:  | the birth date hidden)       |
 * |             | too many order numbers would match).                              |                              |
 * | `bank_card` | 16–19 digits, compact or in groups of 4 (space or dash), Luhn-valid,| `6222 **** **** 1234`,      |
 * |             | with a card-network prefix (2221–2720, 3, 4, 5, 6, 95); not        | `6222********1234`           |
 * |             | when the 16 characters before it name an order/tracking number    | (first 4 + last 4 kept,      |
 * |             | (订单/单号/运单/快递/物流/流水/交易号/order/tracking).              | separators kept)             |
 * | `email`     | `local@domain.tld`                                                | `z***@example.com`           |
 * | `address`   | 详细地址: [省][市] 区/县/旗/市 [镇/乡/街道] + 路/街/巷/弄/胡同 or a   | `北京市朝阳区建国路****`     |
 * |             | 小区/花园/大厦…, followed by a house number (号/弄/栋/幢…) and     | (region and road kept, the   |
 * |             | optional 栋/单元/层/室 and a named building with its floor/room    | house number onward masked)  |
 * |             | (30号苏宁大厦5楼). Without a district, only a road/estate followed |                              |
 * |             | by a unit-level part (栋/幢/单元/室…). Not masked: 我在北京,        |                              |
 * |             | 朝阳区的门店, 朝阳区3号线, a bare 建国路88号, 建国路88号店.          |                              |
 *
 * Digits split by invisible characters or odd separators (`138\u200b1234\u200b5678`, `138.1234.5678`,
 * `138_1234_5678`, up to 3 of . _ space - · / or zero-width/bidi characters between two digits) are
 * found too, with offsets in the original text; the digits are masked where they stand.
 *
 * Every digit-based kind must stand alone: a match preceded or followed by another
 * digit is part of a longer number (order number 20261125138123456789, timestamp
 * 20261125123045) and is ignored. Full-width digits and symbols (１３８, ＋８６, ＠)
 * are recognised; offsets always refer to the original string (UTF-16 code units).
 *
 * Not detected: 15-digit legacy IDs, landlines, passport numbers, WeChat/QQ ids,
 * names, and addresses without a house number or written without 区/县/路/小区 markers.
 *
 * Overlaps are resolved by priority email > id_card > bank_card > mobile > address.
 * Masking is idempotent: masked output contains no detectable PII (see {@link maskPii}).
 */

import { bridgeDigits } from './hidden-digits.js';

/** The kinds of personal data WeReply recognises. */
export const PII_KINDS = ['mobile', 'id_card', 'bank_card', 'email', 'address'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

/** One piece of personal data found in a text. */
export interface PiiFinding {
  /** Offset of the first UTF-16 code unit in the original text. */
  start: number;
  /** Offset one past the last code unit; `text.slice(start, end) === value`. */
  end: number;
  /** What kind of personal data this is. */
  kind: PiiKind;
  /**
   * The matched text, exactly as written. For `address` this is the 详细地址 part
   * (house number onward) that masking replaces; the region/road before it stays visible.
   */
  value: string;
}

export interface PiiOptions {
  /** Only look for these kinds (default: all). */
  kinds?: readonly PiiKind[];
}

/** A replacement of `[start, end)` in the original text. */
interface Edit {
  start: number;
  end: number;
  replacement: string;
}

interface Candidate {
  finding: PiiFinding;
  edits: Edit[];
}

const PRIORITY: readonly PiiKind[] = ['email', 'id_card', 'bank_card', 'mobile', 'address'];

/** Finds personal data in `text`, ordered by start offset, never overlapping. */
export function findPii(text: string, opts: PiiOptions = {}): PiiFinding[] {
  return detect(text, opts).map((c) => c.finding);
}

/**
 * Returns `text` with every finding masked (see the table at the top of this file).
 *
 * Overlaps are settled by priority, so a lower-priority match can hide under a
 * higher-priority one (a phone number used as an e-mail domain, two e-mails glued
 * together). Masking therefore repeats, up to {@link MAX_MASK_ROUNDS} times, until the
 * output has no findings left: `findPii(maskPii(t))` is empty and `maskPii` is idempotent.
 */
export function maskPii(text: string, opts: PiiOptions = {}): string {
  let out = text;
  for (let round = 0; round < MAX_MASK_ROUNDS; round++) {
    const found = detect(out, opts);
    if (found.length === 0) break;
    out = applyEdits(out, found.flatMap((c) => c.edits));
  }
  return out;
}

/** Rounds of masking; two suffice for every case the property tests have found. */
const MAX_MASK_ROUNDS = 4;

function applyEdits(text: string, edits: Edit[]): string {
  edits.sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const e of edits) {
    out += text.slice(at, e.start) + e.replacement;
    at = e.end;
  }
  return out + text.slice(at);
}

function detect(text: string, opts: PiiOptions): Candidate[] {
  const kinds = new Set<PiiKind>(opts.kinds ?? PII_KINDS);
  const norm = normalize(text);
  const hidden = bridgeDigits(norm);
  const accepted: Candidate[] = [];
  const taken = new Uint8Array(text.length); // 1 where a higher-priority finding sits
  const accept = (c: Candidate) => {
    const { start, end } = c.finding;
    if (taken.subarray(start, end).includes(1)) return;
    taken.fill(1, start, end);
    accepted.push(c);
  };
  for (const kind of PRIORITY) {
    if (!kinds.has(kind)) continue;
    for (const c of DETECTORS[kind](norm, text)) accept(c);
    // Digits hidden by invisible characters or odd separators (138\u200b1234\u200b5678, 138.1234.5678):
    // found in the bridged view, their offsets mapped back to the original text.
    if (hidden && DIGIT_KINDS.has(kind)) for (const c of DETECTORS[kind](hidden.text, hidden.text)) accept(mapBack(c, hidden.at, text));
  }
  return accepted.sort((a, b) => a.finding.start - b.finding.start);
}

const DIGIT_KINDS = new Set<PiiKind>(['mobile', 'id_card', 'bank_card']);


/** A candidate found in the bridged view, with its offsets and edits in the original text. */
function mapBack(c: Candidate, at: number[], original: string): Candidate {
  const start = at[c.finding.start]!;
  const end = at[c.finding.end - 1]! + 1;
  return {
    finding: { ...c.finding, start, end, value: original.slice(start, end) },
    edits: c.edits.map((e) => ({ start: at[e.start]!, end: at[e.end - 1]! + 1, replacement: e.replacement })),
  };
}

/**
 * Maps full-width ASCII (０-９, Ｘ, ＋, ＠, …), ideographic/no-break spaces and dash
 * variants to ASCII. One code unit in, one code unit out, so offsets are shared.
 */
function normalize(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xff01 && c <= 0xff5e) out += String.fromCharCode(c - 0xfee0);
    else if (c === 0x3000 || c === 0x00a0) out += ' ';
    else if ((c >= 0x2010 && c <= 0x2014) || c === 0x2212) out += '-';
    else out += text[i];
  }
  return out;
}

type Detector = (norm: string, original: string) => Candidate[];

function candidate(original: string, kind: PiiKind, start: number, end: number, edits: Edit[]): Candidate {
  return { finding: { start, end, kind, value: original.slice(start, end) }, edits };
}

/** Replaces each digit in `[start, end)` of `norm` whose digit index (0-based) fails `keep` by `*`. */
function starDigits(norm: string, start: number, end: number, keep: (i: number, n: number) => boolean): Edit[] {
  const positions: number[] = [];
  for (let p = start; p < end; p++) if (isDigit(norm.charCodeAt(p))) positions.push(p);
  const edits: Edit[] = [];
  positions.forEach((p, i) => {
    if (!keep(i, positions.length)) edits.push({ start: p, end: p + 1, replacement: '*' });
  });
  return edits;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

// ---------------------------------------------------------------- mobile

const MOBILE =
  /(?<!\d)(?<prefix>(?:\+|00)?86[ -]?|\(\+?86\)[ -]?)?(?<a>1[3-9]\d)(?<sep>[ -]?)(?<b>\d{4})\k<sep>(?<c>\d{4})(?!\d)/dg;

const detectMobile: Detector = (norm, original) => {
  const out: Candidate[] = [];
  for (const m of norm.matchAll(MOBILE)) {
    const start = m.index;
    const end = start + m[0].length;
    // "138 1234 5678 9012" is a longer grouped number, not a phone.
    if (m.groups?.sep && /^[ -]\d/.test(norm.slice(end, end + 2))) continue;
    const b = m.indices?.groups?.b;
    if (!b) continue;
    out.push(candidate(original, 'mobile', start, end, starDigits(norm, b[0], b[1], () => false)));
  }
  return out;
};

// ---------------------------------------------------------------- 身份证

const ID_CARD = /(?<!\d)(?<region>\d{6})(?<sep>[ -]?)(?<birth>\d{8})\k<sep>(?<tail>\d{3}(?:\d(?!\d)|[Xx](?![0-9A-Za-z])))/dg;

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const ID_CHECK = '10X98765432';
/** First two digits of mainland, HK/Macau/Taiwan resident ID region codes. */
const ID_PROVINCES = new Set([
  '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65',
  '71', '81', '82', '83',
]);

/** GB 11643-1999: checksum, province code and a birth date between 1900-01-01 and today. */
export function isValidResidentId(id18: string, today: Date = new Date()): boolean {
  if (!/^\d{17}[\dXx]$/.test(id18)) return false;
  if (!ID_PROVINCES.has(id18.slice(0, 2))) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(id18[i]) * (ID_WEIGHTS[i] ?? 0);
  if (ID_CHECK[sum % 11] !== id18[17]!.toUpperCase()) return false;
  const y = Number(id18.slice(6, 10));
  const mo = Number(id18.slice(10, 12));
  const d = Number(id18.slice(12, 14));
  if (y < 1900 || mo < 1 || mo > 12 || d < 1) return false;
  const birth = new Date(Date.UTC(y, mo - 1, d));
  if (birth.getUTCMonth() !== mo - 1) return false; // 2月30日 etc.
  return birth.getTime() <= today.getTime();
}

const detectIdCard: Detector = (norm, original) => {
  const out: Candidate[] = [];
  const today = new Date();
  for (const m of norm.matchAll(ID_CARD)) {
    const g = m.groups;
    const birth = m.indices?.groups?.birth;
    if (!g || !birth) continue;
    if (!isValidResidentId(`${g.region}${g.birth}${g.tail}`, today)) continue;
    const start = m.index;
    out.push(candidate(original, 'id_card', start, start + m[0].length, starDigits(norm, birth[0], birth[1], () => false)));
  }
  return out;
};

// ---------------------------------------------------------------- 银行卡

const CARD_COMPACT = /(?<!\d)\d{16,19}(?!\d)/g;
const CARD_GROUPED = /(?<!\d)\d{4}(?<sep>[ -])\d{4}\k<sep>\d{4}\k<sep>\d{4}(?:\k<sep>\d{1,3})?(?!\d)/g;
/** Words before a number that say it is an order / tracking number, not a card. */
const NOT_A_CARD_CONTEXT = /(订单|单号|运单|快递|物流|流水|交易号|order|tracking)/i;

/** Luhn (mod 10) check over a string of digits. */
export function isLuhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes used by cards: Mastercard 2-series, JCB/Diners, Visa, MC, UnionPay/Discover, old 95xx domestic (9558…). */
function hasCardPrefix(digits: string): boolean {
  const first = digits[0];
  if (first === '3' || first === '4' || first === '5' || first === '6' || digits.startsWith('95')) return true;
  const four = Number(digits.slice(0, 4));
  return four >= 2221 && four <= 2720;
}

const detectBankCard: Detector = (norm, original) => {
  const out: Candidate[] = [];
  for (const re of [CARD_COMPACT, CARD_GROUPED]) {
    for (const m of norm.matchAll(re)) {
      const digits = m[0].replace(/\D/g, '');
      if (digits.length < 16 || digits.length > 19) continue;
      if (!hasCardPrefix(digits) || !isLuhnValid(digits)) continue;
      const start = m.index;
      if (NOT_A_CARD_CONTEXT.test(norm.slice(Math.max(0, start - 16), start))) continue;
      const end = start + m[0].length;
      out.push(candidate(original, 'bank_card', start, end, starDigits(norm, start, end, (i, n) => i < 4 || i >= n - 4)));
    }
  }
  return out;
};

// ---------------------------------------------------------------- e-mail

const EMAIL = /(?<![A-Za-z0-9._%+-])(?<local>[A-Za-z0-9._%+-]+)@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])/dg;

const detectEmail: Detector = (norm, original) => {
  const out: Candidate[] = [];
  for (const m of norm.matchAll(EMAIL)) {
    const local = m.indices?.groups?.local;
    if (!local) continue;
    const start = m.index;
    out.push(
      candidate(original, 'email', start, start + m[0].length, [
        { start: local[0] + 1, end: local[1], replacement: '***' },
      ]),
    );
  }
  return out;
};

// ---------------------------------------------------------------- 详细地址

/**
 * A character that may be part of a place name: any CJK ideograph except words that
 * usually sit next to an address in a sentence (我住在…, 寄到…, 地址是…), so a match
 * starts at the place name rather than mid-sentence.
 */
const H = '(?:(?![的在住是我你他她到往去寄送址请收])[\\u4e00-\\u9fa5])';
const PROV = `(?:${H}{2,3}省|${H}{2,5}自治区|(?:北京|上海|天津|重庆)市)`;
const CITY = `(?:${H}{2,4}?(?:市|自治州|地区|盟))`;
const DIST = `(?:${H}{1,4}?(?:区|县|旗|市))`;
const TOWN = `(?:${H}{1,6}?(?:镇|乡|街道))`;
const ROAD = `(?:${H}{1,8}?(?:大道|大街|路|街|巷|胡同|弄)(?:[东西南北中一二三四五六七八九十]段)?)`;
const ESTATE = `(?:${H}{1,8}?(?:小区|花园|公寓|大厦|家园|新村|苑|园|村|广场|中心))`;
const NUM = '[0-9一二三四五六七八九十百零〇]+';
const UNIT_NUM = '[0-9A-Za-z一二三四五六七八九十百零〇]+';
const UNIT = `-?${UNIT_NUM}(?:号楼|号|栋|幢|座|单元|层|楼|室|户)`;
const ROOM = '(?:-?[0-9]{2,5}(?:室|房|户)?)?';
/** A building or estate named after the house number: 30号苏宁大厦5楼, 668号绿地小区7栋1单元1202. */
const BUILDING = `${H}{1,10}?(?:小区|花园|公寓|大厦|家园|新村|苑|园|村|广场|中心|大楼|写字楼)`;
const DETAIL =
  `${NUM}(?:-${NUM})?(?:号院|号楼|号|弄|栋|幢|座)(?:${UNIT})*${ROOM}` + `(?:${BUILDING}(?:${UNIT})+${ROOM})?`;
const ADDRESS = new RegExp(
  `(?<lead>(?<prov>${PROV})?(?<city>${CITY})?(?<dist>${DIST})?(?<town>${TOWN})?(?<road>${ROAD})?(?<estate>${ESTATE})?)` +
    `(?<detail>${DETAIL})(?![0-9A-Za-z*-]|店|门店|分店|线|地铁)`,
  'dg',
);
/** A part below the house number: building, unit, floor, room. */
const UNIT_LEVEL = /栋|幢|座|单元|层|室|户|号楼|弄/;

/** Every address detail contains one of these; texts without them skip the (costlier) regex. */
const ADDRESS_HINT = /[号弄栋幢座]/;

const detectAddress: Detector = (norm, original) => {
  const out: Candidate[] = [];
  if (!ADDRESS_HINT.test(norm)) return out;
  for (const m of norm.matchAll(ADDRESS)) {
    const g = m.groups;
    const detail = m.indices?.groups?.detail;
    if (!g || !detail || !g.detail) continue;
    const street = Boolean(g.road || g.estate);
    const district = Boolean(g.dist || g.town);
    const unit = UNIT_LEVEL.test(g.detail);
    // 朝阳区3号线 (district + number only) and 建国路88号 (a street number, often a shop) are
    // not enough; a district with a street, or a street/district with a flat, is.
    if (!((street && (district || unit)) || (district && unit))) continue;
    out.push(candidate(original, 'address', detail[0], detail[1], [{ start: detail[0], end: detail[1], replacement: '****' }]));
  }
  return out;
};

const DETECTORS: Record<PiiKind, Detector> = {
  mobile: detectMobile,
  id_card: detectIdCard,
  bank_card: detectBankCard,
  email: detectEmail,
  address: detectAddress,
};
