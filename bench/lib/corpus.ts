/**
 * Chat-like text for the search benchmark, reproducible from a seed: a vocabulary of a few
 * thousand words drawn with a Zipf distribution (so a few words are in most posts and most
 * words in few), some identifiers (`deploy_prod`), some #hashtags.
 */

/** A small fast PRNG (mulberry32): the same seed gives the same sequence, in every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Draws ranks 0..n-1 with probability ∝ 1 / (rank + 1)^s. */
export class Zipf {
  private readonly cdf: Float64Array;
  constructor(readonly n: number, s = 1) {
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let r = 0; r < n; r++) this.cdf[r] = sum += 1 / (r + 1) ** s;
    for (let r = 0; r < n; r++) this.cdf[r]! /= sum;
  }
  draw(random: () => number): number {
    const x = random();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

// The most frequent ranks: words of a team's chat, in about the order people use them.
const COMMON = `the to and a i is it we you that for on in of this be with have are not can but
just so will at do if my me about what there they was all from as an or get like need think
our now one up out when should know here see yes no ok thanks please would also more new
deploy build test release merge review branch server database query index cache error bug fix
issue ticket meeting tomorrow today yesterday customer prod staging config logs alert incident
latency api client version update migration backup rollback pipeline cluster node memory disk
network timeout retry team sprint design docs feature flag metrics dashboard report service
request response user account login token session storage upload download queue worker job
schedule monitor check looks good works broken failing passed green red ship plan call sync
note draft spec estimate budget sales support ops security patch upgrade vendor contract
invoice roadmap demo launch week month quarter morning afternoon lunch coffee office remote`.split(/\s+/);

const ONSETS = ['b', 'br', 'c', 'ch', 'cl', 'd', 'dr', 'f', 'fl', 'g', 'gr', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'pl', 'pr', 'qu', 'r', 's', 'sh', 'sl', 'sp', 'st', 't', 'th', 'tr', 'v', 'w', 'z'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'io', 'ou'];
const CODAS = ['', '', '', 'n', 'r', 'l', 's', 't', 'm', 'x', 'nd', 'rk', 'st'];

/** `size` distinct lower-case words: the common ones first, then made-up pronounceable ones. */
function vocabulary(size: number, random: () => number): string[] {
  const words = new Set<string>(COMMON.slice(0, size));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  while (words.size < size) {
    const syllables = 2 + Math.floor(random() * 2);
    let w = '';
    for (let k = 0; k < syllables; k++) w += pick(ONSETS) + pick(VOWELS) + (k === syllables - 1 ? pick(CODAS) : '');
    words.add(w);
  }
  return [...words];
}

export interface CorpusOptions {
  readonly seed: number;
  /** Distinct words (default 4,000). */
  readonly words?: number;
  /** Distinct identifiers like deploy_prod (default 60). */
  readonly identifiers?: number;
  /** Distinct hashtags (default 80). */
  readonly hashtags?: number;
}

export class Corpus {
  readonly words: readonly string[];
  readonly identifiers: readonly string[];
  /** Without the `#`. */
  readonly hashtags: readonly string[];
  readonly wordRank: Zipf;
  private readonly tagRank: Zipf;
  private readonly identifierRank: Zipf;

  constructor(options: CorpusOptions) {
    const random = prng(options.seed);
    this.words = vocabulary(options.words ?? 4000, random);
    this.wordRank = new Zipf(this.words.length, 1);
    const ids = new Set<string>();
    // Built from the common technical words, as real identifiers are.
    const tech = this.words.slice(60, 200);
    while (ids.size < (options.identifiers ?? 60)) ids.add(`${tech[Math.floor(random() * tech.length)]}_${tech[Math.floor(random() * tech.length)]}`);
    this.identifiers = [...ids];
    this.identifierRank = new Zipf(this.identifiers.length, 1);
    const tags = new Set<string>();
    while (tags.size < (options.hashtags ?? 80)) {
      const w = this.words[20 + Math.floor(random() * 600)]!;
      tags.add(random() < 0.3 ? `${w}-${Math.floor(random() * 10)}` : w);
    }
    this.hashtags = [...tags];
    this.tagRank = new Zipf(this.hashtags.length, 1);
  }

  word(random: () => number): string {
    return this.words[this.wordRank.draw(random)]!;
  }

  /** The word of a rank drawn uniformly in [from, to) (ranks 0 = most frequent). */
  wordInRanks(random: () => number, from: number, to: number): string {
    const hi = Math.min(to, this.words.length);
    const lo = Math.min(from, hi - 1);
    return this.words[lo + Math.floor(random() * (hi - lo))]!;
  }

  hashtag(random: () => number): string {
    return this.hashtags[this.tagRank.draw(random)]!;
  }

  /** A chat message of 3 to ~30 words, sometimes with an identifier or a hashtag, some punctuation. */
  message(random: () => number): string {
    const length = 3 + Math.min(27, Math.floor(-Math.log(1 - random()) * 9));
    const parts: string[] = [];
    for (let k = 0; k < length; k++) {
      let w = this.word(random);
      if (k === 0 && random() < 0.5) w = w[0]!.toUpperCase() + w.slice(1);
      parts.push(w);
      const r = random();
      if (r < 0.05) parts[parts.length - 1] += ',';
      else if (r < 0.07 && k < length - 1) parts[parts.length - 1] += '.';
    }
    if (random() < 0.06) parts.splice(Math.floor(random() * parts.length), 0, this.identifiers[this.identifierRank.draw(random)]!);
    if (random() < 0.08) parts.push(`#${this.hashtag(random)}`);
    const end = random();
    return parts.join(' ') + (end < 0.2 ? '?' : end < 0.3 ? '!' : end < 0.6 ? '.' : '');
  }
}
