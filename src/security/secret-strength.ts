/**
 * Startup strength checks for RUSTCHAT_JWT_SECRET and RUSTCHAT_ENCRYPTION_KEY
 * (security contract §1). Pure functions: the caller decides whether an `error` finding is
 * fatal (production) or a warning (development).
 *
 * The checks, each reported by variable name and never quoting the value:
 *  1. length ≥ 32 characters;
 *  2. measured entropy (Shannon bits per character × length) ≥ 128 bits — only a warning
 *     for values that look like base64 or hex output, whose alphabets cap the measurement;
 *  3. weak patterns: placeholder/default words, dictionary words and common passwords,
 *     runs (`aaaa`, `abcd`, `4321`) and a block repeated back to back.
 *
 * Why weak patterns are judged in two tiers: a random `openssl rand -base64 48` value
 * contains a short word or a 4-character run now and then by chance (a run of four appears
 * in roughly one value in two hundred, some 4-letter dictionary word in one in four).
 *  - A placeholder word of six or more letters written the way people write words
 *    (`secret`, `Secret`, `SECRET`) is an error on its own: random output has it with a
 *    probability around 10⁻⁸.
 *  - Anything else is an error when it makes up more than a quarter of the value and the
 *    value is no longer strong once every weak pattern is cut out of it (the rest carries
 *    < 128 bits by its alphabet); a warning when it makes up more than a quarter but the
 *    rest is strong; and not reported when it is smaller (what random output contains by
 *    chance: without the quarter rule, one run in a 32-character hex value — 128 bits
 *    exactly — would sink it). So `monkey-dragon-football-2024-xyz` fails, and a random
 *    value containing `Test` passes.
 * Words shorter than four letters are never patterns (`dev`, `123` are common by chance).
 */
import { dictionary } from '@zxcvbn-ts/language-common';

export interface SecretFinding {
  readonly severity: 'error' | 'warning';
  /** Human message naming the variable, never containing the value. */
  readonly message: string;
}

export const MIN_SECRET_LENGTH = 32;
export const MIN_SECRET_BITS = 128;

/**
 * Placeholders and defaults that mark a secret as made up by a person: the one list of
 * them. Lower case. Those of six or more letters are errors on their own (see above).
 */
export const WEAK_WORDS: readonly string[] = [
  'secret', 'password', 'passwd', 'changeme', 'change-me', 'change_me', 'default', 'admin',
  'test', 'example', 'your-', 'your_', 'sample', 'placeholder', 'insecure', 'qwerty', 'letmein',
  'rustchat', 'mattermost', 'token', 'encryption', 'random', 'another', 'replace', 'development',
  'production', 'local', 'demo', 'dummy', 'welcome', 'foobar', 'hello', 'key-', 'jwt-',
];

const PLACEHOLDER_MIN = 6;
const WORD_MIN = 4;
const WORD_MAX = 16;

const ALL_DIGITS = /^\d+$/;
let dictionaryWords: Set<string> | undefined;
/** English words (diceware list) and common passwords, ≥ 4 characters, lower case. */
function dictionaryWordSet(): Set<string> {
  if (dictionaryWords === undefined) {
    // Built at every start (the secrets are checked at boot), so in one pass without
    // intermediate arrays of the ~57,000 words (issue #11: cold start).
    dictionaryWords = new Set();
    for (const list of [dictionary['diceware-common'] as readonly string[], dictionary['passwords-common'] as readonly string[], WEAK_WORDS]) {
      for (const word of list) {
        const w = word.toLowerCase();
        // Numbers are not words: digit runs and repeats are caught as runs and blocks, and
        // random hex is full of four-digit strings that happen to be common passwords.
        if (w.length >= WORD_MIN && w.length <= WORD_MAX && !ALL_DIGITS.test(w)) dictionaryWords.add(w);
      }
    }
  }
  return dictionaryWords;
}

/** Shannon entropy of the character distribution, in bits per character. */
export function shannonBitsPerChar(value: string): number {
  const chars = Array.from(value);
  if (chars.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / chars.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

export function totalEntropyBits(value: string): number {
  return shannonBitsPerChar(value) * Array.from(value).length;
}

const HEX_RE = /^[0-9a-fA-F]+$/;
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL_RE = /^[A-Za-z0-9_-]+={0,2}$/;

/** Whether the value looks like the output of `openssl rand -base64|-hex` (or base64url). */
export function looksLikeEncodedRandom(value: string): boolean {
  return HEX_RE.test(value) || BASE64_RE.test(value) || BASE64URL_RE.test(value);
}

/** Bits per character a random string over this value's character classes would carry. */
function alphabetBitsPerChar(value: string): number {
  if (HEX_RE.test(value)) return 4;
  let size = 0;
  if (/[a-z]/.test(value)) size += 26;
  if (/[A-Z]/.test(value)) size += 26;
  if (/[0-9]/.test(value)) size += 10;
  if (/[^A-Za-z0-9]/.test(value)) size += 32;
  return size > 1 ? Math.log2(size) : 0;
}

export type PatternKind = 'placeholder' | 'dictionary word' | 'repeated character' | 'sequential run' | 'repeated block';

export interface PatternMatch {
  readonly start: number;
  readonly end: number;
  readonly kind: PatternKind;
}

function naturalCasing(found: string): boolean {
  const lower = found.toLowerCase();
  const upper = found.toUpperCase();
  return found === lower || found === upper || found === lower.charAt(0).toUpperCase() + lower.slice(1);
}

/** Every weak pattern in the value, as [start, end) ranges over its UTF-16 code units. */
export function weakPatterns(value: string): PatternMatch[] {
  const out: PatternMatch[] = [];
  const lower = value.toLowerCase();
  // Lower-casing can change the length for a few non-ASCII characters; then offsets would not line up.
  const comparable = lower.length === value.length;
  for (const word of WEAK_WORDS) {
    for (let at = lower.indexOf(word); at >= 0; at = lower.indexOf(word, at + 1)) {
      const placeholder = word.length >= PLACEHOLDER_MIN && comparable && naturalCasing(value.slice(at, at + word.length));
      out.push({ start: at, end: at + word.length, kind: placeholder ? 'placeholder' : 'dictionary word' });
    }
  }
  const words = dictionaryWordSet();
  // In a value that looks like base64/hex output, a word counts only when written the way
  // people write words (`wash`, `Wash`, `WASH`): random output is full of mixed-case
  // fragments (`wAsH`, `ashU`) that spell words only once lower-cased, and enough of them
  // overlapping could cover a quarter of a genuinely random value.
  const encoded = comparable && looksLikeEncodedRandom(value);
  for (let i = 0; i + WORD_MIN <= lower.length; i++) {
    for (let len = WORD_MIN; len <= WORD_MAX && i + len <= lower.length; len++) {
      if (words.has(lower.slice(i, i + len)) && (!encoded || naturalCasing(value.slice(i, i + len)))) out.push({ start: i, end: i + len, kind: 'dictionary word' });
    }
  }
  // Runs over code points, case-insensitive: the same character 4+ times, or 4+ consecutive
  // ascending/descending code points (abcd, 4321).
  const codes = comparable ? Array.from({ length: lower.length }, (_v, i) => lower.charCodeAt(i)) : [];
  const runOf = (step: number, kind: PatternKind): void => {
    let start = 0;
    for (let i = 1; i <= codes.length; i++) {
      if (i < codes.length && codes[i]! - codes[i - 1]! === step) continue;
      if (i - start >= 4) out.push({ start, end: i, kind });
      start = i;
    }
  };
  runOf(0, 'repeated character');
  runOf(1, 'sequential run');
  runOf(-1, 'sequential run');
  // The same block of 4+ characters repeated back to back (abcXabcX).
  for (let size = 4; size * 2 <= value.length; size++) {
    for (let i = 0; i + size * 2 <= value.length; i++) {
      if (value.slice(i, i + size) === value.slice(i + size, i + size * 2)) out.push({ start: i, end: i + size * 2, kind: 'repeated block' });
    }
  }
  return out;
}

/**
 * Checks one secret. `name` is the variable name used in messages. The value itself (or any
 * part of it) never appears in a message.
 */
export function checkSecret(name: string, value: string): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const length = Array.from(value).length;
  if (length < MIN_SECRET_LENGTH) {
    findings.push({ severity: 'error', message: `${name} is too short: ${length} characters, at least ${MIN_SECRET_LENGTH} are required (generate one with \`openssl rand -base64 48\`)` });
  }
  const bits = totalEntropyBits(value);
  if (bits < MIN_SECRET_BITS) {
    if (looksLikeEncodedRandom(value) && length >= MIN_SECRET_LENGTH) {
      findings.push({ severity: 'warning', message: `${name} has low measured entropy (${Math.floor(bits)} bits < ${MIN_SECRET_BITS}); it looks like base64/hex output, so this is only a warning. Prefer \`openssl rand -base64 48\`` });
    } else {
      findings.push({ severity: 'error', message: `${name} has too little entropy (${Math.floor(bits)} bits, at least ${MIN_SECRET_BITS} are required): use a random value, e.g. \`openssl rand -base64 48\`` });
    }
  }
  const patterns = weakPatterns(value);
  if (patterns.length > 0) {
    const kinds = [...new Set(patterns.map((p) => p.kind))].sort().join(', ');
    const covered = new Array<boolean>(value.length).fill(false);
    for (const p of patterns) for (let i = p.start; i < p.end; i++) covered[i] = true;
    const rest = value.split('').filter((_c, i) => !covered[i]).join('');
    const restBits = rest.length * alphabetBitsPerChar(value);
    // More than a quarter of the value: more than chance puts into random output.
    const substantial = (value.length - rest.length) * 4 > value.length;
    if (patterns.some((p) => p.kind === 'placeholder')) {
      findings.push({ severity: 'error', message: `${name} contains a placeholder or default word (${kinds}): use a random value, e.g. \`openssl rand -base64 48\`` });
    } else if (substantial && restBits < MIN_SECRET_BITS) {
      findings.push({ severity: 'error', message: `${name} is made of weak patterns (${kinds}): without them it is not a strong secret. Use a random value, e.g. \`openssl rand -base64 48\`` });
    } else if (substantial) {
      findings.push({ severity: 'warning', message: `${name} contains weak patterns (${kinds}); the rest is strong enough, so this is only a warning` });
    }
  }
  return findings;
}
