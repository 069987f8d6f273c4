/**
 * Message text → React elements, as Mattermost and GitHub users write it: CommonMark with the
 * GFM tables, strikethrough, task lists (read-only boxes) and autolinks, fenced code with syntax
 * highlighting, and inside text @mentions, ~channel links and :emoji: shortcodes.
 *
 * Safe by construction: markdown-it parses with raw HTML off, and its tokens become React
 * elements from a fixed list of tags, never an HTML string. Every URL is checked twice (by the
 * parser and again here): only http, https, mailto and root-relative paths of the app become
 * links. Images never load: `![alt](url)` is a link to the url (or its text when the url is
 * refused), so a message cannot fetch a remote resource or break the Content-Security-Policy.
 * Highlighted code is class names (`hljs-*`) on spans, styled by styles.css: no inline style.
 */
import { createElement, Fragment, type ReactElement, type ReactNode } from 'react';
import MarkdownIt, { type StateCore, type Token } from 'markdown-it';
import { createLowlight } from 'lowlight';
import type { RootContent } from 'hast';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import dockerfile from 'highlight.js/lib/languages/dockerfile';
import go from 'highlight.js/lib/languages/go';
import ini from 'highlight.js/lib/languages/ini';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import kotlin from 'highlight.js/lib/languages/kotlin';
import makefile from 'highlight.js/lib/languages/makefile';
import markdown from 'highlight.js/lib/languages/markdown';
import php from 'highlight.js/lib/languages/php';
import plaintext from 'highlight.js/lib/languages/plaintext';
import python from 'highlight.js/lib/languages/python';
import ruby from 'highlight.js/lib/languages/ruby';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import swift from 'highlight.js/lib/languages/swift';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { emojiChar } from './emoji.js';
import { MENTION_PATTERN, mentionOf } from './format.js';
import { channelPath } from './route.js';

/** What the renderer needs to know about the reader and where they are. */
export interface MarkdownContext {
  /** The reader's username: mentions of it (and @channel/@all/@here) are marked as theirs. */
  readonly me?: string;
  /** The current team's URL name: `~channel` links to `/<team>/channels/<channel>`. */
  readonly team?: string;
}

/** A link target that may be followed, and whether it stays in the app. */
export interface SafeHref {
  readonly href: string;
  readonly internal: boolean;
}

/**
 * Whether a URL may become a link: `http(s)://host…`, `mailto:…`, or a root-relative path of
 * the app (`/<team>/pl/<id>`). No whitespace, control characters or backslashes anywhere
 * (browsers drop or reinterpret them: `/\evil` and `/\t/evil` lead off-site), no
 * protocol-relative `//host`, no other scheme (javascript:, data:, vbscript:, file:, …).
 */
export function safeHref(url: string): SafeHref | undefined {
  if (url === '' || url.length > 4096 || /[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff\\]/.test(url)) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  if (scheme !== null) {
    const name = scheme[1]!.toLowerCase();
    if (name === 'http' || name === 'https') return /^https?:\/\/[^/?#]/i.test(url) ? { href: url, internal: false } : undefined;
    if (name === 'mailto') return url.length > 7 ? { href: url, internal: false } : undefined;
    return undefined;
  }
  if (url.startsWith('/') && !url.startsWith('//')) return { href: url, internal: true };
  return undefined;
}

const lowlight = createLowlight({
  bash, c, cpp, csharp, css, diff, dockerfile, go, ini, java, javascript, json, kotlin, makefile, markdown,
  php, plaintext, python, ruby, rust, shell, sql, swift, typescript, xml, yaml,
});
/** Longer code is shown plain: highlighting grammars are regular expressions, and a message must render fast. */
const MAX_HIGHLIGHT = 10_000;
/** Highlighting budget for one message (characters of code), for messages with many blocks. */
const HIGHLIGHT_BUDGET = 10_000;

/** `- [ ] todo` / `- [x] done`: the list item gets `meta.task`, and the marker leaves the text. */
function taskLists(state: StateCore): void {
  const tokens = state.tokens;
  for (let i = 0; i + 2 < tokens.length; i++) {
    const item = tokens[i]!;
    if (item.type !== 'list_item_open' || tokens[i + 1]!.type !== 'paragraph_open') continue;
    const inline = tokens[i + 2]!;
    const first = inline.children?.[0];
    if (inline.type !== 'inline' || first?.type !== 'text') continue;
    const m = /^\[([ xX])\](?:\s+|$)/.exec(first.content);
    if (m === null) continue;
    item.meta = { ...item.meta, task: m[1] !== ' ' };
    first.content = first.content.slice(m[0].length);
  }
}

const md = new MarkdownIt('default', { html: false, linkify: true, breaks: true, typographer: false, maxNesting: 20 });
md.validateLink = (url: string) => safeHref(url) !== undefined;
md.core.ruler.push('task_lists', taskLists);

const TEXT_RE = new RegExp(`${MENTION_PATTERN}|(?<![\\w~-])~([a-z0-9][a-z0-9_-]{0,63})|:([a-z0-9_+-]{1,64}):`, 'gi');

interface State {
  readonly ctx: MarkdownContext;
  /** Inside a link: no mention or channel links (no links in links). */
  linkDepth: number;
  budget: number;
}

/** Plain text with mentions, ~channel links and :emoji: made elements. */
function text(content: string, st: State): ReactNode[] {
  if (!/[@~:]/.test(content)) return [content];
  const out: ReactNode[] = [];
  let last = 0;
  for (const m of content.matchAll(TEXT_RE)) {
    let node: ReactNode | undefined;
    if (m[1] !== undefined && st.linkDepth === 0) {
      const mention = mentionOf(m[1], st.ctx.me);
      node = createElement('span', { className: mention.me ? 'mention mention-me' : 'mention' }, m[0]);
    } else if (m[2] !== undefined && st.linkDepth === 0) {
      const name = m[2].toLowerCase();
      node = st.ctx.team !== undefined
        ? createElement('a', { className: 'channel-mention', href: channelPath(st.ctx.team, name) }, m[0])
        : createElement('span', { className: 'channel-mention' }, m[0]);
    } else if (m[3] !== undefined) {
      const char = emojiChar(m[3]);
      if (char !== `:${m[3]}:`) node = createElement('span', { className: 'emoji', role: 'img', 'aria-label': m[3], title: m[0] }, char);
    }
    if (node === undefined) continue;
    if (m.index > last) out.push(content.slice(last, m.index));
    out.push(node);
    last = m.index + m[0].length;
  }
  if (last < content.length) out.push(last === 0 ? content : content.slice(last));
  return out;
}

/** Highlighted spans (hast from lowlight) → React: spans with class names and text, nothing else. */
function hast(nodes: readonly RootContent[]): ReactNode[] {
  return nodes.map((n) => {
    if (n.type === 'text') return n.value;
    if (n.type !== 'element') return null;
    const cls = n.properties['className'];
    const className = Array.isArray(cls) ? cls.filter((x) => typeof x === 'string' && /^[\w-]+$/.test(x)).join(' ') : undefined;
    return createElement('span', { className }, ...hast(n.children));
  });
}

function codeBlock(content: string, info: string, st: State): ReactElement {
  const code = content.endsWith('\n') ? content.slice(0, -1) : content;
  const lang = (info.trim().split(/\s+/)[0] ?? '').toLowerCase();
  const known = /^[a-z0-9_+#.-]{1,32}$/.test(lang);
  if (known && lowlight.registered(lang) && code.length <= MAX_HIGHLIGHT && code.length <= st.budget) {
    st.budget -= code.length;
    try {
      const tree = lowlight.highlight(lang, code);
      return createElement('pre', null, createElement('code', { className: `hljs language-${lang}` }, ...hast(tree.children)));
    } catch {
      // A grammar that fails shows the code plain.
    }
  }
  return createElement('pre', null, createElement('code', { className: known ? `language-${lang}` : undefined }, code));
}

function attr(t: Token, name: string): string {
  const v = t.attrGet(name);
  return v === null ? '' : String(v);
}

/** `text-align:left` (markdown-it's table alignment) → a class, since the CSP allows no inline style. */
function alignClass(t: Token): string | undefined {
  const m = /text-align:(left|center|right)/.exec(attr(t, 'style'));
  return m !== null ? `align-${m[1]}` : undefined;
}

interface Open {
  readonly type: string;
  readonly props: Record<string, unknown> | null;
  readonly first?: ReactNode;
}

const SIMPLE: Readonly<Record<string, string>> = {
  blockquote_open: 'blockquote',
  bullet_list_open: 'ul',
  table_open: 'table',
  thead_open: 'thead',
  tbody_open: 'tbody',
  tr_open: 'tr',
  strong_open: 'strong',
  em_open: 'em',
  s_open: 'del',
};
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);

/** The element an opening token becomes, or null for a transparent one (its children still show). */
function open(t: Token, st: State): Open | null {
  const simple = SIMPLE[t.type];
  if (simple !== undefined) return { type: simple, props: null };
  switch (t.type) {
    case 'paragraph_open':
      return t.hidden ? null : { type: 'p', props: null };
    case 'heading_open':
      return HEADINGS.has(t.tag) ? { type: t.tag, props: null } : { type: 'p', props: null };
    case 'ordered_list_open': {
      const start = Number(attr(t, 'start') || 1);
      return { type: 'ol', props: Number.isSafeInteger(start) && start !== 1 ? { start } : null };
    }
    case 'list_item_open': {
      const task = (t.meta as { task?: boolean } | null)?.task;
      if (task === undefined) return { type: 'li', props: null };
      const box = createElement('input', { type: 'checkbox', checked: task, disabled: true, readOnly: true, 'aria-label': task ? 'Done' : 'Not done' });
      return { type: 'li', props: { className: 'task-list-item' }, first: box };
    }
    case 'th_open':
    case 'td_open':
      return { type: t.type === 'th_open' ? 'th' : 'td', props: { className: alignClass(t) } };
    case 'link_open': {
      st.linkDepth++;
      const safe = safeHref(attr(t, 'href'));
      if (safe === undefined) return null;
      return { type: 'a', props: safe.internal ? { href: safe.href } : { href: safe.href, target: '_blank', rel: 'noopener noreferrer nofollow' } };
    }
    default:
      return null;
  }
}

/** A token without children of its own in the stream (text, code, breaks, inline runs, images). */
function leaf(t: Token, st: State): ReactNode[] {
  switch (t.type) {
    case 'inline':
      return render(t.children ?? [], st);
    case 'text':
      return text(t.content, st);
    case 'softbreak':
    case 'hardbreak':
      return [createElement('br')];
    case 'code_inline':
      return [createElement('code', null, t.content)];
    case 'fence':
    case 'code_block':
      return [codeBlock(t.content, t.info, st)];
    case 'hr':
      return [createElement('hr')];
    case 'image': {
      // Never an <img>: a link to it (when its URL is allowed), or its description.
      const alt = (t.children ?? []).map((c) => c.content).join('');
      const safe = safeHref(attr(t, 'src'));
      if (safe === undefined || st.linkDepth > 0) return alt !== '' ? [alt] : [];
      const props = safe.internal ? { href: safe.href } : { href: safe.href, target: '_blank', rel: 'noopener noreferrer nofollow' };
      return [createElement('a', { ...props, className: 'image-link' }, alt !== '' ? alt : safe.href)];
    }
    default:
      // html_inline/html_block cannot occur (raw HTML is off); anything else shows as its text.
      return t.content !== '' ? [t.content] : [];
  }
}

interface Frame {
  readonly open: Open | null;
  readonly token: Token | null;
  readonly children: ReactNode[];
}

function close(frame: Frame, into: ReactNode[], st: State): void {
  if (frame.token?.type === 'link_open') st.linkDepth--;
  if (frame.open === null) into.push(...frame.children);
  else if (frame.open.first !== undefined) into.push(createElement(frame.open.type, frame.open.props, frame.open.first, ...frame.children));
  else into.push(createElement(frame.open.type, frame.open.props, ...frame.children));
}

/** A flat token stream (opening, leaf and closing tokens) → a tree of elements. */
function render(tokens: readonly Token[], st: State): ReactNode[] {
  const root: Frame = { open: null, token: null, children: [] };
  const stack: Frame[] = [root];
  for (const t of tokens) {
    if (t.nesting === 1) {
      stack.push({ open: open(t, st), token: t, children: [] });
    } else if (t.nesting === -1) {
      if (stack.length > 1) close(stack.pop()!, stack[stack.length - 1]!.children, st);
    } else {
      stack[stack.length - 1]!.children.push(...leaf(t, st));
    }
  }
  while (stack.length > 1) close(stack.pop()!, stack[stack.length - 1]!.children, st);
  return root.children;
}

/** Renders one message's Markdown. Pure: the same text and context give the same elements. */
export function renderMarkdown(message: string, ctx: MarkdownContext = {}): ReactElement {
  const st: State = { ctx, linkDepth: 0, budget: HIGHLIGHT_BUDGET };
  return createElement(Fragment, null, ...render(md.parse(message, {}), st));
}
