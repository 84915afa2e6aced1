/**
 * Stable outbound msgids. WeCom limits msgid to 32 bytes of [0-9a-zA-Z_-] and inbound msgids are
 * longer, so each reply's id is derived from its cause: the same cause always gives the same id,
 * which is what makes a repeated call after a crash recognisable.
 */
import crypto from 'node:crypto';

export function replyMsgid(sourceMsgid: string, replyIndex: number): string {
  return 'r' + crypto.createHash('sha256').update(`${sourceMsgid}\u0000${replyIndex}`).digest('base64url').slice(0, 26);
}

export function welcomeMsgid(welcomeCode: string): string {
  return 'w' + crypto.createHash('sha256').update(`welcome\u0000${welcomeCode}`).digest('base64url').slice(0, 26);
}
