/** Fuzzy matching for the quick switcher. */

/**
 * A fuzzy score: every character of `query` must appear in `text` in order (case-insensitive);
 * contiguous runs, word starts and an early first match score higher. undefined: no match.
 */
export function fuzzyScore(query: string, text: string): number | undefined {
  const q = query.toLowerCase().replace(/\s+/g, '');
  const t = text.toLowerCase();
  if (q === '') return 0;
  let score = 0;
  let from = 0;
  let prev = -2;
  for (const ch of q) {
    const i = t.indexOf(ch, from);
    if (i < 0) return undefined;
    score += i === prev + 1 ? 3 : 1;
    if (i === 0 || /[\s\-_.#@]/.test(t[i - 1]!)) score += 2;
    prev = i;
    from = i + 1;
  }
  const first = t.indexOf(q[0]!);
  return score - first * 0.1 + (t.startsWith(q) ? 5 : 0);
}
