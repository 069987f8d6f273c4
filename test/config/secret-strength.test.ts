/**
 * Secret validation (security contract §1): each check, the messages that never quote the
 * value, and the promise that random `openssl rand -base64 48` values always pass.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkSecret, totalEntropyBits, WEAK_WORDS } from '../../src/security/secret-strength.js';

const errors = (value: string) => checkSecret('RUSTCHAT_JWT_SECRET', value).filter((f) => f.severity === 'error');
const warnings = (value: string) => checkSecret('RUSTCHAT_JWT_SECRET', value).filter((f) => f.severity === 'warning');

describe('random secrets always pass', () => {
  it('5,000 values of crypto.randomBytes(48).toString("base64") give no finding at all', () => {
    const rejected: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const value = randomBytes(48).toString('base64');
      if (checkSecret('RUSTCHAT_JWT_SECRET', value).length > 0) rejected.push(value);
    }
    expect(rejected).toEqual([]);
  });

  it('a random value whose mixed-case fragments spell words only once lower-cased passes (seen in CI)', () => {
    expect(checkSecret('RUSTCHAT_JWT_SECRET', '1bj7AAFpC24KPLeiiaNdyfGTSvZPIlOPeU/oR5twashUpOjDNIgdsaggyvmLX04g')).toEqual([]);
    // Words written the way people write them still count in a base64-looking value.
    expect(warnings('monkeydragonfootballMonkeyDRAGONfootball' + randomBytes(30).toString('base64')).length + errors('monkeydragonfootballMonkeyDRAGONfootball' + randomBytes(30).toString('base64')).length).toBeGreaterThan(0);
  });

  it('real `openssl rand -base64 48` output passes', () => {
    for (let i = 0; i < 25; i++) {
      const value = execFileSync('openssl', ['rand', '-base64', '48'], { encoding: 'utf8' }).trim();
      expect(value).toHaveLength(64);
      expect(checkSecret('RUSTCHAT_JWT_SECRET', value)).toEqual([]);
    }
  });

  it('real `head -c 48 /dev/urandom | base64` output passes', () => {
    for (let i = 0; i < 25; i++) {
      const value = execFileSync('sh', ['-c', 'head -c 48 /dev/urandom | base64'], { encoding: 'utf8' }).trim();
      expect(value).toHaveLength(64);
      expect(checkSecret('RUSTCHAT_JWT_SECRET', value)).toEqual([]);
    }
  });

  it('random hex, base64 and base64url values of 32 bytes pass without errors', () => {
    const rejected: string[] = [];
    for (let i = 0; i < 1000; i++) {
      for (const value of [randomBytes(32).toString('hex'), randomBytes(32).toString('base64'), randomBytes(32).toString('base64url')]) {
        if (errors(value).length > 0) rejected.push(value);
      }
    }
    expect(rejected).toEqual([]);
  });

  it('a random value that happens to contain a short word or a run of four still passes', () => {
    const r = () => randomBytes(48).toString('base64');
    expect(errors(r().slice(0, 30) + 'Test' + r().slice(0, 30))).toEqual([]);
    expect(errors(r().slice(0, 30) + 'abcd' + r().slice(0, 30))).toEqual([]);
    expect(errors(r().slice(0, 30) + '1234' + r().slice(0, 30))).toEqual([]);
    expect(errors(r().slice(0, 30) + 'dev123' + r().slice(0, 30))).toEqual([]);
  });
});

describe('1. length', () => {
  it('fewer than 32 characters is an error naming the variable and the length', () => {
    const value = randomBytes(48).toString('base64').slice(0, 31);
    const e = errors(value);
    expect(e.map((f) => f.message).join('\n')).toMatch(/RUSTCHAT_JWT_SECRET is too short: 31 characters, at least 32/);
    expect(errors(randomBytes(48).toString('base64').slice(0, 32))).toEqual([]);
  });
  it('counts characters, not UTF-16 units', () => {
    // 16 emoji are 32 UTF-16 units but 16 characters.
    expect(errors('😀😁😂🤣😃😄😅😆😉😊😋😎😍😘🥰😗').map((f) => f.message).join()).toMatch(/16 characters/);
  });
});

describe('2. entropy', () => {
  it('below 128 bits is an error for a value that is not base64/hex output', () => {
    // Three symbols, no runs, no words, no repeated 4-blocks: about 1.58 bits × 40 ≈ 63 bits.
    const value = 'ab.ba.aab..bba.b.a.abb.ba..bab.a..ab.aab';
    expect(totalEntropyBits(value)).toBeLessThan(128);
    expect(errors(value).map((f) => f.message).join('\n')).toMatch(/RUSTCHAT_JWT_SECRET has too little entropy \(\d+ bits, at least 128/);
  });
  it('below 128 measured bits is only a warning for hex output (`openssl rand -hex 16`)', () => {
    const value = randomBytes(16).toString('hex');
    expect(totalEntropyBits(value)).toBeLessThan(128);
    expect(errors(value)).toEqual([]);
    expect(warnings(value).map((f) => f.message).join()).toMatch(/low measured entropy/);
  });
});

describe('3. weak patterns', () => {
  it.each([
    ['the guide placeholder for the JWT secret', 'your-256-bit-secret-min-32-chars-long-random'],
    ['the guide placeholder for the encryption key', 'another-256-bit-secret-for-encryption-ops'],
    ['a default word next to strong random text', `changeme${randomBytes(48).toString('base64')}`],
    ['a capitalised placeholder next to random text', `Password_${randomBytes(48).toString('base64')}`],
    ['an upper-case placeholder', `SECRET-${randomBytes(48).toString('base64')}`],
  ])('%s is an error', (_label, value) => {
    expect(errors(value).map((f) => f.message).join()).toMatch(/placeholder or default word/);
  });

  it.each([
    ['one repeated character', 'x'.repeat(40)],
    ['an ascending run', 'abcdefghijklmnopqrstuvwxyz0123456789'],
    ['a descending run', '9876543210zyxwvutsrqponmlkjihgfedcba'],
    ['a repeated block', 'q7#Kz!q7#Kz!q7#Kz!q7#Kz!q7#Kz!q7#Kz!'],
    ['dictionary words', 'monkey-dragon-football-sunshine-2024'],
    ['a passphrase of common words', 'correct horse battery staple orbit lemon'],
    ['short words and runs making up the value', 'test1234demo5678test1234demo5678'],
  ])('%s is an error', (_label, value) => {
    expect(errors(value).map((f) => f.message).join()).toMatch(/weak patterns|too little entropy/);
  });

  it('three-letter words are never patterns on their own', () => {
    const value = `dev${randomBytes(48).toString('base64')}123`;
    expect(checkSecret('X', value)).toEqual([]);
  });

  it('keeps its word list in one place and includes the contract examples', () => {
    for (const w of ['secret', 'password', 'changeme', 'default', 'admin', 'test', 'example', 'your-']) expect(WEAK_WORDS).toContain(w);
  });
});

describe('messages never contain the secret', () => {
  it.each([
    'your-256-bit-secret-min-32-chars-long-random',
    'short-Zq8',
    'x'.repeat(40),
    `changeme${randomBytes(48).toString('base64')}`,
    'ab.ba.aab..bba.b.a.abb.ba..bab.a..ab.aab',
  ])('%s', (value) => {
    const text = checkSecret('RUSTCHAT_ENCRYPTION_KEY', value).map((f) => f.message).join('\n');
    expect(text).toContain('RUSTCHAT_ENCRYPTION_KEY');
    expect(text).not.toContain(value);
    // Nor a telling piece of it.
    for (let i = 0; i + 8 <= value.length; i += 4) expect(text).not.toContain(value.slice(i, i + 8));
  });
});
