import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblem, verifyPassword } from './password.js';

describe('operator passwords', () => {
  it('hashes with scrypt, a fresh salt and the cost stored with it; verifies only the right password', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b); // salted
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
    // A hash made with other cost parameters still verifies (they are read from the hash).
    const cheap = a.replace(/^scrypt\$32768/, 'scrypt$16384');
    expect(await verifyPassword('correct horse battery', cheap)).toBe(false);
    expect(await verifyPassword('x', 'not a hash')).toBe(false);
  });

  it('refuses short, repetitive, sequential, well-known passwords and the own name, saying why', () => {
    expect(passwordProblem('short1', 'amy')).toMatch(/at least 10 characters \(it has 6\)/);
    expect(passwordProblem('aaaaaaaaaaaa', 'amy')).toMatch(/repeats/);
    expect(passwordProblem('1234567890', 'amy')).toMatch(/run of characters/);
    expect(passwordProblem('abcdefghijk', 'amy')).toMatch(/run of characters/);
    expect(passwordProblem('Password123', 'amy')).toMatch(/most used/);
    expect(passwordProblem('abcabcabcabc', 'amy')).toMatch(/most used/);
    expect(passwordProblem('agent-wang-2026!', 'agent-wang')).toMatch(/operator name/);
    expect(passwordProblem('客服小王的密码很长啊', 'amy')).toBeNull(); // 10 characters, not bytes
    expect(passwordProblem('tea at four, twice', 'amy')).toBeNull();
  });
});
