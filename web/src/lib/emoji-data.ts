/**
 * The full standard emoji set, from emojibase-data (the same package and the same shortcode
 * sets the server accepts: src/domain/emoji.ts). Loaded on demand (`import()` from emoji.ts),
 * so its ~1 MB of JSON is a separate chunk the first screen does not wait for.
 */
import compact from 'emojibase-data/en/compact.json' with { type: 'json' };
import cldr from 'emojibase-data/en/shortcodes/cldr.json' with { type: 'json' };
import emojibase from 'emojibase-data/en/shortcodes/emojibase.json' with { type: 'json' };
import github from 'emojibase-data/en/shortcodes/github.json' with { type: 'json' };
import iamcal from 'emojibase-data/en/shortcodes/iamcal.json' with { type: 'json' };

interface CompactEmoji {
  readonly hexcode: string;
  readonly label: string;
  readonly unicode: string;
  readonly group?: number;
  readonly order?: number;
  readonly tags?: readonly string[];
  readonly skins?: readonly CompactEmoji[];
}

type Shortcodes = Readonly<Record<string, string | readonly string[]>>;

/** One emoji of the picker: its names (the first is the one sent), character, label, search words and skin-tone variants. */
export interface EmojiEntry {
  readonly names: readonly string[];
  readonly char: string;
  readonly label: string;
  /** emojibase group (0 smileys … 9 flags). */
  readonly group: number;
  readonly tags: readonly string[];
  /** Tones 1–5 (light … dark): the variant's name and character; absent when it has none. */
  readonly tones?: readonly { readonly name: string; readonly char: string }[];
}

export interface EmojiData {
  readonly entries: readonly EmojiEntry[];
  /** Every name (tones included) → its character. */
  readonly chars: ReadonlyMap<string, string>;
}

/** Mattermost/Slack names first (the name a reaction is stored under), then the other sets. */
/** The JSON as this module reads it (its type differs between the client's and the tests' compiler settings). */
const shortcodes = (json: unknown): Shortcodes => json as Shortcodes;
const emojiList = (json: unknown): readonly CompactEmoji[] => json as readonly CompactEmoji[];
const SETS: readonly Shortcodes[] = [iamcal, emojibase, github, cldr].map(shortcodes);
const TONE = ['1F3FB', '1F3FC', '1F3FD', '1F3FE', '1F3FF'];
/** emojibase's "component" group: skin tones and hair pieces on their own. */
const COMPONENT_GROUP = 2;

function namesOf(hexcode: string): string[] {
  const out: string[] = [];
  for (const set of SETS) {
    const v = set[hexcode];
    if (v === undefined) continue;
    for (const n of typeof v === 'string' ? [v] : v) if (!out.includes(n.toLowerCase())) out.push(n.toLowerCase());
  }
  return out;
}

export function buildEmojiData(): EmojiData {
  const entries: EmojiEntry[] = [];
  const chars = new Map<string, string>();
  for (const e of [...emojiList(compact)].sort((a, b) => (a.order ?? 1e9) - (b.order ?? 1e9))) {
    const names = namesOf(e.hexcode);
    if (names.length === 0) continue;
    for (const n of names) if (!chars.has(n)) chars.set(n, e.unicode);
    let tones: { name: string; char: string }[] | undefined;
    if (e.skins !== undefined) {
      for (const s of e.skins) for (const n of namesOf(s.hexcode)) if (!chars.has(n)) chars.set(n, s.unicode);
      // One variant per single tone (the mixed-tone pairs are reachable by name only).
      const single = TONE.map((t) => e.skins!.find((s) => s.hexcode.split('-').filter((p) => TONE.includes(p)).every((p) => p === t)));
      if (single.every((s) => s !== undefined && namesOf(s.hexcode).length > 0)) tones = single.map((s) => ({ name: namesOf(s!.hexcode)[0]!, char: s!.unicode }));
    }
    if (e.group === undefined || e.group === COMPONENT_GROUP) continue;
    entries.push({ names, char: e.unicode, label: e.label, group: e.group, tags: e.tags ?? [], ...(tones !== undefined ? { tones } : {}) });
  }
  return { entries, chars };
}
