/**
 * WeCom's callback encryption (WXBizMsgCrypt): SHA1 signature over the sorted
 * (token, timestamp, nonce, encrypt) and AES-256-CBC with PKCS#7 padding to 32-byte blocks.
 * The official test vector in test/ anchors it.
 */
import crypto from 'node:crypto';

export class CallbackCryptoError extends Error {
  constructor(
    message: string,
    /** HTTP status to answer: 403 for authentication failures, 400 for malformed input. */
    readonly status: 400 | 403,
  ) {
    super(message);
  }
}

export interface CallbackCrypto {
  verifySignature(msgSignature: string, timestamp: string, nonce: string, encrypted: string): boolean;
  /** Decrypts and checks the embedded ReceiveId; throws CallbackCryptoError. */
  decrypt(encrypted: string): string;
}

export function signature(token: string, timestamp: string, nonce: string, encrypted: string): string {
  const joined = [token, timestamp, nonce, encrypted].sort().join('');
  return crypto.createHash('sha1').update(joined).digest('hex');
}

export function createCallbackCrypto(opts: { token: string; encodingAESKey: string; receiveId: string }): CallbackCrypto {
  if (!/^[a-zA-Z0-9]{43}$/.test(opts.encodingAESKey)) {
    throw new Error('WECOM_ENCODING_AES_KEY must be the 43 characters [a-zA-Z0-9] shown in the WeCom admin');
  }
  const key = Buffer.from(opts.encodingAESKey + '=', 'base64');
  const iv = key.subarray(0, 16);

  return {
    verifySignature(msgSignature, timestamp, nonce, encrypted) {
      const expected = Buffer.from(signature(opts.token, timestamp, nonce, encrypted), 'utf8');
      const given = Buffer.from(msgSignature.toLowerCase(), 'utf8');
      return given.length === expected.length && crypto.timingSafeEqual(given, expected);
    },
    decrypt(encrypted) {
      const cipherBytes = Buffer.from(encrypted, 'base64');
      if (cipherBytes.length === 0 || cipherBytes.length % 16 !== 0) {
        throw new CallbackCryptoError('encrypted payload is not valid base64 AES data', 400);
      }
      let plain: Buffer;
      try {
        const decipher = crypto.createDecipheriv('aes-256-cbc', key, iv);
        decipher.setAutoPadding(false);
        plain = Buffer.concat([decipher.update(cipherBytes), decipher.final()]);
      } catch {
        throw new CallbackCryptoError('encrypted payload could not be decrypted', 400);
      }
      // PKCS#7 with a 32-byte block: the last byte says how many bytes to drop (1..32).
      const pad = plain[plain.length - 1] ?? 0;
      if (pad < 1 || pad > 32 || pad > plain.length) throw new CallbackCryptoError('bad padding in decrypted payload', 400);
      const content = plain.subarray(16, plain.length - pad);
      if (content.length < 4) throw new CallbackCryptoError('decrypted payload too short', 400);
      const msgLen = content.readUInt32BE(0);
      if (4 + msgLen > content.length) throw new CallbackCryptoError('decrypted payload length field is wrong', 400);
      const msg = content.subarray(4, 4 + msgLen).toString('utf8');
      const receiveId = content.subarray(4 + msgLen).toString('utf8');
      if (receiveId !== opts.receiveId) {
        throw new CallbackCryptoError(`callback is for ReceiveId "${receiveId}", not this corp's CorpID`, 403);
      }
      return msg;
    },
  };
}

/**
 * Encrypts `message` as WeCom does for a callback (random 16 bytes, length, message, ReceiveId,
 * PKCS#7 to 32 bytes). `wereply doctor` uses it to call the callback URL the way WeCom verifies it.
 */
export function encryptLikeWeCom(encodingAESKey: string, receiveId: string, message: string): string {
  const key = Buffer.from(encodingAESKey + '=', 'base64');
  const msg = Buffer.from(message, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(msg.length);
  const body = Buffer.concat([crypto.randomBytes(16), len, msg, Buffer.from(receiveId, 'utf8')]);
  const pad = 32 - (body.length % 32);
  const cipher = crypto.createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([body, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64');
}
