/**
 * Operator passwords: hashed with scrypt (node:crypto), the salt and cost stored with the hash as
 * `scrypt$N$r$p$<salt base64url>$<hash base64url>`, compared in constant time. A password that is
 * too short, all one character, a run like 12345678, a well-known password or the operator's own
 * name is refused with a sentence saying why (passwordProblem).
 */
import crypto from 'node:crypto';

/** The cost new hashes use: N = 2^15, r = 8, p = 1 (about 32 MB and 50–100 ms per check). */
export const SCRYPT = { N: 32768, r: 8, p: 1, keyLength: 32, saltBytes: 16 } as const;
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 200;

/** A few of the most used passwords (and their Chinese-keyboard favourites); compared case-insensitively. */
const COMMON = new Set([
  'password', 'password1', 'password12', 'password123', 'passw0rd', 'p@ssw0rd', 'p@ssword', 'qwertyuiop', 'qwerty123', 'qwerty1234',
  'iloveyou', 'iloveyou1', 'admin123', 'admin1234', 'administrator', 'welcome1', 'welcome123', 'letmein123', 'changeme', 'changeme1',
  'woaini1314', 'woaini520', '5201314520', '1qaz2wsx', '1qaz2wsx3edc', 'zaq12wsx', 'abc123456', 'abcd1234', 'a123456789', 'aa123456',
  'qq123456', 'wereply', 'wereply123', 'wecom123', 'qweasdzxc', 'asdfghjkl', 'zxcvbnm123', '1q2w3e4r5t', 'q1w2e3r4t5', 'super123',
]);

/** Keyboard and counting runs (forwards and backwards, repeated): a password inside one is refused. */
const RUNS = ['0123456789', 'abcdefghijklmnopqrstuvwxyz', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', '1qaz2wsx3edc4rfv'].flatMap((r) => {
  const long = r.repeat(Math.ceil(MAX_PASSWORD_LENGTH / r.length) + 1);
  return [long, [...long].reverse().join('')];
});

function scrypt(password: string, salt: Buffer, N: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    crypto.scrypt(password.normalize('NFC'), salt, keyLength, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** A new hash of `password` with a fresh salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(SCRYPT.saltBytes);
  const key = await scrypt(password, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keyLength);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** A hash of nothing anyone knows: checked for unknown names so they take as long as known ones. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(crypto.randomBytes(18).toString('base64url'));
  return dummy;
}

/** True when `password` matches `stored`; false for a wrong password or an unreadable hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 1 << 17 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (expected.length < 16) return false;
  const got = await scrypt(password, salt, N, r, p, expected.length);
  return crypto.timingSafeEqual(got, expected);
}

/** Why `password` may not be used (for the operator named `name`), or null when it may. */
export function passwordProblem(password: string, name: string): string | null {
  const chars = [...password];
  if (chars.length < MIN_PASSWORD_LENGTH) return `the password must have at least ${MIN_PASSWORD_LENGTH} characters (it has ${chars.length}); a short sentence is easy to remember`;
  if (chars.length > MAX_PASSWORD_LENGTH) return `the password may have at most ${MAX_PASSWORD_LENGTH} characters`;
  if (new Set(chars).size <= 2) return 'the password repeats one or two characters: choose one that is harder to guess';
  const codes = chars.map((c) => c.codePointAt(0)!);
  const steps = codes.slice(1).map((c, i) => c - codes[i]!);
  if ((steps.every((d) => d === steps[0]) && Math.abs(steps[0]!) <= 1) || RUNS.some((run) => run.includes(password.toLowerCase()))) return 'the password is a run of characters (like 1234567890 or abcdefghij): choose one that is harder to guess';
  const lower = password.toLowerCase();
  if (COMMON.has(lower) || /^(.{2,5})\1+$/.test(lower) || /^\d+$/.test(lower) && new Set(chars).size <= 4) return 'this is one of the most used passwords: choose one that is harder to guess';
  const n = name.trim().toLowerCase();
  if (n.length >= 3 && lower.includes(n)) return 'the password contains your operator name: choose one that is harder to guess';
  return null;
}
