/**
 * The standard emoji names the server knows: every shortcode of the emojibase data package
 * (emojibase-data, maintained upstream with each Unicode release) in the naming schemes people
 * type: emojibase's own, iamcal (Slack and Mattermost names: `+1`, `thumbsup`,
 * `white_check_mark`), GitHub and CLDR. Skin-tone variants are named `<name>_tone1`…`_tone5`
 * (e.g. `+1_tone3`), as emojibase names them.
 *
 * The table is read on first use, not at startup (about 7,000 names from ~400 KB of JSON, a
 * few milliseconds), and kept for the life of the process.
 */
import { createRequire } from 'node:module';

/** The emojibase shortcode sets whose names are accepted. */
export const SHORTCODE_SETS = ['emojibase', 'iamcal', 'github', 'cldr'] as const;

let names: ReadonlySet<string> | undefined;

/** Every standard emoji name (lower case), loaded on first call. */
export function standardEmojiNames(): ReadonlySet<string> {
  if (names === undefined) {
    const require = createRequire(import.meta.url);
    const all = new Set<string>();
    for (const set of SHORTCODE_SETS) {
      const table = require(`emojibase-data/en/shortcodes/${set}.json`) as Record<string, string | string[]>;
      for (const value of Object.values(table)) {
        for (const name of typeof value === 'string' ? [value] : value) all.add(name.toLowerCase());
      }
    }
    names = all;
  }
  return names;
}

export function isStandardEmoji(name: string): boolean {
  return standardEmojiNames().has(name);
}
