/**
 * Mention parsing. `@username` mentions one user; `@channel` and `@all` mention every member;
 * `@here` mentions members online when the post is made. Code spans and blocks are skipped so
 * that pasted code does not ping people.
 */
export interface Mentions {
  readonly usernames: readonly string[];
  readonly all: boolean;
  readonly here: boolean;
}

const MENTION_RE = /(^|[^\w@.-])@([a-z0-9][a-z0-9._-]*[a-z0-9_]|[a-z0-9])/gi;

function stripCode(message: string): string {
  return message.replace(/```[\s\S]*?```/g, ' ').replace(/`[^`\n]*`/g, ' ');
}

export function parseMentions(message: string): Mentions {
  const usernames = new Set<string>();
  let all = false;
  let here = false;
  for (const m of stripCode(message).matchAll(MENTION_RE)) {
    const name = m[2]!.toLowerCase().replace(/[.]+$/, '');
    if (name === 'channel' || name === 'all') all = true;
    else if (name === 'here') here = true;
    else usernames.add(name);
  }
  return { usernames: [...usernames], all, here };
}
