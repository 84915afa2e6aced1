/**
 * WXBizMsgCrypt as WeCom implements it (加解密方案说明), written independently of WeReply's src/
 * so that a bug there cannot hide behind the same bug here. The official test vector anchors it
 * (see crypto.test.ts).
 *
 * - AESKey = base64decode(EncodingAESKey + "="), 32 bytes; AES-256-CBC, IV = first 16 bytes of the key.
 * - Plaintext = 16 random bytes + 4-byte big-endian length of msg + msg (UTF-8) + ReceiveId,
 *   PKCS#7-padded to a multiple of 32 bytes (not 16!).
 * - msg_signature = SHA1 of token, timestamp, nonce and the encrypted text, sorted and concatenated.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const BLOCK = 32;

/** Turns a 43-character EncodingAESKey into the 32-byte AES key; throws on anything else. */
export function aesKeyFromEncodingAESKey(encodingAESKey: string): Buffer {
  if (!/^[a-zA-Z0-9]{43}$/.test(encodingAESKey)) {
    throw new Error('EncodingAESKey must be 43 characters of [a-zA-Z0-9]');
  }
  const key = Buffer.from(encodingAESKey + '=', 'base64');
  if (key.length !== 32) throw new Error('EncodingAESKey does not decode to 32 bytes');
  return key;
}

/** msg_signature: SHA1 of the four strings sorted in dictionary (code unit) order and concatenated. */
export function signature(token: string, timestamp: string, nonce: string, encrypted: string): string {
  const parts = [token, timestamp, nonce, encrypted].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha1').update(parts.join('')).digest('hex');
}

/** Encrypts `message` for `receiveId` (the CorpID); `random16` is for reproducible tests only. */
export function encrypt(message: string, receiveId: string, encodingAESKey: string, random16?: Buffer): string {
  const key = aesKeyFromEncodingAESKey(encodingAESKey);
  const msg = Buffer.from(message, 'utf8');
  const rid = Buffer.from(receiveId, 'utf8');
  const rnd = random16 ?? randomBytes(16);
  if (rnd.length !== 16) throw new Error('random prefix must be 16 bytes');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(msg.length, 0);
  const body = Buffer.concat([rnd, len, msg, rid]);
  const pad = BLOCK - (body.length % BLOCK); // 1..32, a full block when already aligned
  const padded = Buffer.concat([body, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
}

export interface Decrypted {
  message: string;
  receiveId: string;
}

/** Decrypts a base64 ciphertext; throws with a clear reason on bad padding or length. */
export function decrypt(encryptedBase64: string, encodingAESKey: string): Decrypted {
  const key = aesKeyFromEncodingAESKey(encodingAESKey);
  const data = Buffer.from(encryptedBase64, 'base64');
  if (data.length === 0 || data.length % 16 !== 0) throw new Error('ciphertext length is not a multiple of 16');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(data), decipher.final()]);
  const pad = plain[plain.length - 1] ?? 0;
  if (pad < 1 || pad > BLOCK || pad > plain.length) throw new Error('bad PKCS#7 padding');
  for (let i = plain.length - pad; i < plain.length; i++) {
    if (plain[i] !== pad) throw new Error('bad PKCS#7 padding');
  }
  const body = plain.subarray(0, plain.length - pad);
  if (body.length < 20) throw new Error('plaintext too short');
  const msgLen = body.readUInt32BE(16);
  if (20 + msgLen > body.length) throw new Error('message length exceeds plaintext');
  return {
    message: body.subarray(20, 20 + msgLen).toString('utf8'),
    receiveId: body.subarray(20 + msgLen).toString('utf8'),
  };
}

/** Decrypts and checks that the ReceiveId matches, as a receiver must. */
export function decryptFor(encryptedBase64: string, encodingAESKey: string, receiveId: string): string {
  const out = decrypt(encryptedBase64, encodingAESKey);
  if (out.receiveId !== receiveId) throw new Error(`ReceiveId mismatch: got ${out.receiveId}`);
  return out.message;
}
