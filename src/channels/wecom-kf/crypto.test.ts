import { describe, expect, it } from 'vitest';
import { CallbackCryptoError, createCallbackCrypto, signature } from './crypto.js';

// The official sample from the WeCom 加解密方案说明 (see shared/wecom-api.md).
const vector = {
  token: 'QDG6eK',
  encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  corpId: 'wx5823bf96d3bd56c7',
  msgSignature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  timestamp: '1409659589',
  nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
  plain: '1616140317555161061',
};

describe('WeCom callback crypto (official test vector)', () => {
  const c = createCallbackCrypto({ token: vector.token, encodingAESKey: vector.encodingAESKey, receiveId: vector.corpId });

  it('computes the published msg_signature', () => {
    expect(signature(vector.token, vector.timestamp, vector.nonce, vector.echostr)).toBe(vector.msgSignature);
    expect(c.verifySignature(vector.msgSignature, vector.timestamp, vector.nonce, vector.echostr)).toBe(true);
  });

  it('decrypts the echostr to the published plaintext', () => {
    expect(c.decrypt(vector.echostr)).toBe(vector.plain);
  });

  it('refuses a wrong signature, a wrong CorpID and garbage', () => {
    expect(c.verifySignature(vector.msgSignature.replace(/^5/, '6'), vector.timestamp, vector.nonce, vector.echostr)).toBe(false);
    expect(c.verifySignature(vector.msgSignature, vector.timestamp, '1', vector.echostr)).toBe(false);
    const other = createCallbackCrypto({ token: vector.token, encodingAESKey: vector.encodingAESKey, receiveId: 'wwSomeOtherCorp' });
    expect(() => other.decrypt(vector.echostr)).toThrow(CallbackCryptoError);
    expect(() => other.decrypt(vector.echostr)).toThrow(/ReceiveId/);
    expect(() => c.decrypt('not base64 at all!!')).toThrow(CallbackCryptoError);
    expect(() => c.decrypt(Buffer.alloc(32, 1).toString('base64'))).toThrow(CallbackCryptoError);
  });

  it('rejects an EncodingAESKey of the wrong shape', () => {
    expect(() => createCallbackCrypto({ token: 't', encodingAESKey: 'short', receiveId: 'x' })).toThrow(/43 characters/);
  });
});
