/**
 * Startup strength checks for RUSTCHAT_JWT_SECRET and RUSTCHAT_ENCRYPTION_KEY
 * (security contract §1). Pure functions: the caller decides whether a finding is fatal.
 *
 * Why the "remove and re-measure" rule: a random `openssl rand -base64 48` value contains
 * short words such as `test` or runs such as `1234` now and then by chance. A weak pattern
 * is therefore an error only when what is left after cutting every weak pattern out is no
 * longer a strong secret on its own (< 32 characters or < 128 bits). Otherwise it is a
 * warning. Words shorter than four letters are not in the list at all.
 */

export interface SecretFinding {
  readonly severity: 'error' | 'warning';
  /** Human message naming the variable, never containing the value. */
  readonly message: string;
}

export const MIN_SECRET_LENGTH = 32;
export const MIN_SECRET_BITS = 128;

/** Dictionary words and placeholders that mark a secret as made up by a person. Lower case, ≥ 4 letters. */
export const WEAK_WORDS: readonly string[] = [
  'secret', 'password', 'passwd', 'changeme', 'change-me', 'change_me', 'default', 'admin',
  'test', 'example', 'your-', 'your_', 'sample', 'placeholder', 'insecure', 'qwerty', 'letmein',
  'rustchat', 'mattermost', 'token', 'encryption', 'random', 'another', 'replace', 'development',
  'production', 'local', 'demo', 'dummy', 'welcome', 'foobar', 'hello', 'key-', 'jwt-',
];

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

function looksLikeEncodedRandom(value: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(value) || /^[A-Za-z0-9_-]+$/.test(value) || /^[0-9a-fA-F]+$/.test(value);
}

/** Character ranges [start, end) covered by weak patterns. */
export function weakPatternRanges(value: string): Array<[number, number, string]> {
  const ranges: Array<[number, number, string]> = [];
  const lower = value.toLowerCase();
  for (const word of WEAK_WORDS) {
    let from = 0;
    for (;;) {
      const at = lower.indexOf(word, from);
      if (at < 0) break;
      ranges.push([at, at + word.length, 'a dictionary word or placeholder']);
      from = at + 1;
    }
  }
  // Runs: the same character 4+ times, or 4+ consecutive ascending/descending code points (abcd, 4321).
  const codes = Array.from(lower).map((c) => c.codePointAt(0) ?? 0);
  const runOf = (step: number): void => {
    let start = 0;
    for (let i = 1; i <= codes.length; i++) {
      if (i < codes.length && codes[i]! - codes[i - 1]! === step) continue;
      if (i - start >= 4) ranges.push([start, i, step === 0 ? 'a repeated character' : 'a sequential run']);
      start = i;
    }
  };
  runOf(0);
  runOf(1);
  runOf(-1);
  // The same block of 4+ characters repeated back to back (abcXabcX).
  for (let size = 4; size * 2 <= value.length; size++) {
    for (let i = 0; i + size * 2 <= value.length; i++) {
      if (value.slice(i, i + size) === value.slice(i + size, i + size * 2)) {
        ranges.push([i, i + size * 2, 'a repeated block']);
      }
    }
  }
  return ranges;
}

/**
 * Checks one secret. `name` is the variable name used in messages. The value itself never
 * appears in any message.
 */
export function checkSecret(name: string, value: string): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const length = Array.from(value).length;
  if (length < MIN_SECRET_LENGTH) {
    findings.push({ severity: 'error', message: `${name} is too short: ${length} characters, at least ${MIN_SECRET_LENGTH} are required` });
  }
  const bits = totalEntropyBits(value);
  if (bits < MIN_SECRET_BITS) {
    if (looksLikeEncodedRandom(value) && length >= MIN_SECRET_LENGTH) {
      findings.push({ severity: 'warning', message: `${name} has low measured entropy (${Math.floor(bits)} bits < ${MIN_SECRET_BITS}); it looks like base64/hex output, so this is only a warning. Prefer \`openssl rand -base64 48\`` });
    } else {
      findings.push({ severity: 'error', message: `${name} has too little entropy (${Math.floor(bits)} bits, at least ${MIN_SECRET_BITS} are required). Generate one with \`openssl rand -base64 48\`` });
    }
  }
  const ranges = weakPatternRanges(value);
  if (ranges.length > 0) {
    const covered = new Array<boolean>(value.length).fill(false);
    for (const [s, e] of ranges) for (let i = s; i < e; i++) covered[i] = true;
    const rest = Array.from(value).filter((_c, i) => !covered[i]).join('');
    const kinds = [...new Set(ranges.map((r) => r[2]))].join(', ');
    const restIsStrong = Array.from(rest).length >= MIN_SECRET_LENGTH && totalEntropyBits(rest) >= MIN_SECRET_BITS;
    findings.push(
      restIsStrong
        ? { severity: 'warning', message: `${name} contains a weak pattern (${kinds}); the rest is strong enough, so this is only a warning` }
        : { severity: 'error', message: `${name} contains weak patterns (${kinds}): use a random value, e.g. \`openssl rand -base64 48\`` },
    );
  }
  return findings;
}
