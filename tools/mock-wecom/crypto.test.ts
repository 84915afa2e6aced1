import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aesKeyFromEncodingAESKey, decrypt, decryptFor, encrypt, signature } from './crypto.js';
import { createDecipheriv } from 'node:crypto';

// The official sample from WeCom's 加解密方案说明 (URL verification).
const VECTOR = {
  token: 'QDG6eK',
  encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  corpId: 'wx5823bf96d3bd56c7',
  msgSignature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  timestamp: '1409659589',
  nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
  plain: '1616140317555161061',
};

const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split(''));
const encodingAESKeyArb = fc
  .array(alnum, { minLength: 43, maxLength: 43 })
  .map((a) => a.join(''))
  .filter((k) => Buffer.from(k + '=', 'base64').length === 32);

describe('WXBizMsgCrypt (official test vector)', () => {
  it('signs the echostr exactly as WeCom does', () => {
    expect(signature(VECTOR.token, VECTOR.timestamp, VECTOR.nonce, VECTOR.echostr)).toBe(VECTOR.msgSignature);
  });

  it('decrypts the echostr to the published plaintext and CorpID', () => {
    const out = decrypt(VECTOR.echostr, VECTOR.encodingAESKey);
    expect(out.message).toBe(VECTOR.plain);
    expect(out.receiveId).toBe(VECTOR.corpId);
    expect(decryptFor(VECTOR.echostr, VECTOR.encodingAESKey, VECTOR.corpId)).toBe(VECTOR.plain);
  });

  it('refuses a ciphertext meant for another CorpID', () => {
    expect(() => decryptFor(VECTOR.echostr, VECTOR.encodingAESKey, 'ww_other')).toThrow(/ReceiveId/);
  });

  it('rejects malformed EncodingAESKeys', () => {
    expect(() => aesKeyFromEncodingAESKey('short')).toThrow();
    expect(() => aesKeyFromEncodingAESKey('+'.repeat(43))).toThrow();
  });
});

describe('WXBizMsgCrypt round trip (property)', () => {
  it('decrypt(encrypt(m)) === m for any message, CorpID and key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ minLength: 1, maxLength: 40 }), encodingAESKeyArb, (msg, rid, key) => {
        const out = decrypt(encrypt(msg, rid, key), key);
        expect(out).toEqual({ message: msg, receiveId: rid });
      }),
      { numRuns: 300 },
    );
  });

  it('pads with PKCS#7 to 32-byte blocks and lays out random16 + BE length + msg + receiveId', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.string({ maxLength: 200 }), fc.string({ maxLength: 40 }), encodingAESKeyArb, (rnd, msg, rid, key) => {
        const random16 = Buffer.from(rnd);
        const b64 = encrypt(msg, rid, key, random16);
        const aes = aesKeyFromEncodingAESKey(key);
        const d = createDecipheriv('aes-256-cbc', aes, aes.subarray(0, 16));
        d.setAutoPadding(false);
        const plain = Buffer.concat([d.update(Buffer.from(b64, 'base64')), d.final()]);
        expect(plain.length % 32).toBe(0);
        const pad = plain[plain.length - 1]!;
        const bodyLen = 16 + 4 + Buffer.byteLength(msg) + Buffer.byteLength(rid);
        expect(pad).toBe(32 - (bodyLen % 32));
        expect(plain.subarray(plain.length - pad).every((b) => b === pad)).toBe(true);
        expect(plain.subarray(0, 16).equals(random16)).toBe(true);
        expect(plain.readUInt32BE(16)).toBe(Buffer.byteLength(msg));
        expect(plain.subarray(20, 20 + Buffer.byteLength(msg)).toString('utf8')).toBe(msg);
        expect(plain.subarray(20 + Buffer.byteLength(msg), plain.length - pad).toString('utf8')).toBe(rid);
      }),
      { numRuns: 200 },
    );
  });

  it('signature is independent of argument order (sorted)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 20 }), { minLength: 4, maxLength: 4 }), (parts) => {
        const [a, b, c, d] = parts as [string, string, string, string];
        expect(signature(a, b, c, d)).toBe(signature(d, c, b, a));
      }),
    );
  });
});
