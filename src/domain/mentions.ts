/**
 * Mention parsing. `@username` mentions one user; `@channel` and `@all` mention every member;
 * `@here` mentions members online when the post is made. Code spans and blocks are skipped so
 * that pasted code does not ping people.
 *
 * Usernames may end in `.`, `_` or `-`, which is also how sentences and markdown end
 * (`thanks @bob.`, `_@bob_`). So a token ending in those characters yields two candidates,
 * the token as written and the token without its trailing punctuation; the caller keeps the
 * candidates that name real users (`resolveMentionNames`).
 */
export interface Mentions {
  /** Candidate usernames, lower-case, in order of first appearance. */
  readonly usernames: readonly string[];
  readonly all: boolean;
  readonly here: boolean;
}

// `@` must not follow a letter, digit, `@`, `.` or `-` (e-mail addresses, `@@x`, `a.@b`);
// it may follow `_`, `*` and the like (markdown emphasis: `_@bob_`).
const MENTION_RE = /(^|[^a-z0-9@.-])@([a-z0-9][a-z0-9._-]*)/gi;
const TRAILING = /[._-]+$/;

function stripCode(message: string): string {
  return message.replace(/```[\s\S]*?```/g, ' ').replace(/`[^`\n]*`/g, ' ');
}

export function parseMentions(message: string): Mentions {
  const usernames = new Set<string>();
  let all = false;
  let here = false;
  for (const m of stripCode(message).matchAll(MENTION_RE)) {
    const raw = m[2]!.toLowerCase();
    const trimmed = raw.replace(TRAILING, '');
    if (trimmed === 'channel' || trimmed === 'all') all = true;
    else if (trimmed === 'here') here = true;
    else {
      usernames.add(raw);
      if (trimmed !== raw && trimmed !== '') usernames.add(trimmed);
    }
  }
  return { usernames: [...usernames], all, here };
}

/**
 * Of the candidates, the names that are mentioned given the usernames that exist: a token
 * as written wins over its trimmed form (`@bob.` mentions `bob.` when that user exists, else `bob`).
 */
export function resolveMentionNames(message: string, existing: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const m of stripCode(message).matchAll(MENTION_RE)) {
    const raw = m[2]!.toLowerCase();
    if (existing.has(raw)) out.add(raw);
    else {
      const trimmed = raw.replace(TRAILING, '');
      if (existing.has(trimmed)) out.add(trimmed);
    }
  }
  return [...out];
}
