/**
 * Message text → React elements, as Mattermost and GitHub users write it: CommonMark with the
 * GFM tables, strikethrough, task lists (read-only boxes) and autolinks, fenced code with syntax
 * highlighting, and inside text @mentions, ~channel links and :emoji: shortcodes.
 *
 * Safe by construction: markdown-it parses with raw HTML off, and its tokens become a tree of
 * elements from a fixed list of tags and attributes (MdNode), never an HTML string; the client
 * turns the tree into React elements (components/Post.tsx), which escape all text. Every URL is checked twice (by the
 * parser and again here): only http, https, mailto and root-relative paths of the app become
 * links. Images never load: `![alt](url)` is a link to the url (or its text when the url is
 * refused), so a message cannot fetch a remote resource or break the Content-Security-Policy.
 * Highlighted code is class names (`hljs-*`) on spans, styled by styles.css: no inline style.
 */
import MarkdownIt, { type StateCore, type Token } from 'markdown-it';
import type { RootContent } from 'hast';
import { customEmojiUrl, emojiChar } from './emoji.js';
import { MENTION_PATTERN, mentionOf } from './format.js';
import { channelPath } from './route.js';
import { t as tr } from '../i18n/index.js';

/** The elements a message may contain; nothing else can be produced. */
export type MdTag =
  | 'p' | 'h1' | 'h2' | 'h3' | 'h4' | 'h5' | 'h6' | 'blockquote' | 'ul' | 'ol' | 'li' | 'input' | 'hr' | 'br'
  | 'table' | 'thead' | 'tbody' | 'tr' | 'th' | 'td' | 'strong' | 'em' | 'del' | 'a' | 'code' | 'pre' | 'span';

/** Their attributes (React names); URLs only through safeHref. */
export interface MdProps {
  readonly className?: string;
  readonly href?: string;
  readonly target?: '_blank';
  readonly rel?: string;
  readonly title?: string;
  readonly role?: 'img';
  readonly 'aria-label'?: string;
  readonly type?: 'checkbox';
  readonly checked?: boolean;
  readonly disabled?: boolean;
  readonly readOnly?: boolean;
  readonly start?: number;
}

export interface MdElement {
  readonly tag: MdTag;
  readonly props: MdProps | null;
  readonly children: readonly MdNode[];
}

/** Text (shown as text, never parsed as HTML) or an element. */
export type MdNode = string | MdElement;

const el = (tag: MdTag, props: MdProps | null, ...children: MdNode[]): MdElement => ({ tag, props, children });

/** Appends without spreading (a paragraph may have tens of thousands of children). */
function append(into: MdNode[], nodes: readonly MdNode[]): void {
  for (const n of nodes) into.push(n);
}

/** What the renderer needs to know about the reader and where they are. */
export interface MarkdownContext {
  /** The reader's username: mentions of it (and @channel/@all/@here) are marked as theirs. */
  readonly me?: string;
  /** The current team's URL name: `~channel` links to `/<team>/channels/<channel>`. */
  readonly team?: string;
  /** Highlights fenced code that names a language; without one, code shows plain. */
  readonly highlighter?: Highlighter;
}

/** A link target that may be followed, and whether it stays in the app. */
export interface SafeHref {
  readonly href: string;
  readonly internal: boolean;
}

// Control characters, spaces (ASCII and Unicode) and backslashes.
// eslint-disable-next-line no-control-regex
const UNSAFE_URL_CHAR = /[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff\\]/;

/**
 * Whether a URL may become a link: `http(s)://host…`, `mailto:…`, or a root-relative path of
 * the app (`/<team>/pl/<id>`). No whitespace, control characters or backslashes anywhere
 * (browsers drop or reinterpret them: `/\evil` and `/\t/evil` lead off-site), no
 * protocol-relative `//host`, no other scheme (javascript:, data:, vbscript:, file:, …).
 */
export function safeHref(url: string): SafeHref | undefined {
  if (url === '' || url.length > 4096 || UNSAFE_URL_CHAR.test(url)) return undefined;
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

/**
 * Syntax highlighting (lib/highlight.ts: lowlight with highlight.js's common languages). It is a
 * separate chunk of the bundle, loaded the first time a message has a fenced code block
 * (loadHighlighter); until then code shows plain.
 */
export interface Highlighter {
  registered(language: string): boolean;
  /** The code as hast (spans with class names, and text). */
  highlight(language: string, code: string): { readonly children: readonly RootContent[] };
}

let highlighter: Highlighter | undefined;
let loading: Promise<Highlighter> | undefined;

/** The highlighter once loaded, else undefined. */
export function loadedHighlighter(): Highlighter | undefined {
  return highlighter;
}

/** Loads the highlighter (once). */
export function loadHighlighter(): Promise<Highlighter> {
  loading ??= import('./highlight.js').then((m) => (highlighter = m.highlighter));
  return loading;
}

/** Whether a message has a fenced code block that names a language (so highlighting is worth loading). */
export function wantsHighlighter(message: string): boolean {
  return /^ {0,3}(?:`{3,}|~{3,})[ \t]*[\w+#.-]/m.test(message);
}

/** Longer code is shown plain: highlighting grammars are regular expressions, and a message must render fast. */
const MAX_HIGHLIGHT = 6_000;
/** Highlighting budget for one message (characters of code), for messages with many blocks. */
const HIGHLIGHT_BUDGET = 12_000;

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

// Blocks nested deeper than maxNesting lose their text in markdown-it: 50 levels of quotes and
// lists is far beyond what people write, and keeps the parse bounded.
const md = new MarkdownIt('default', { html: false, linkify: true, breaks: true, typographer: false, maxNesting: 50 });
md.validateLink = (url: string) => safeHref(url) !== undefined;
// Bare e-mail addresses are linked by `text` below: linkify-it's own e-mail search costs
// 50 ms on a message full of addresses.
md.linkify.set({ fuzzyEmail: false });
md.core.ruler.push('task_lists', taskLists);

/**
 * Inside text: @mention (1), ~channel (2), :emoji: (3), e-mail address (4). The address has
 * no nested quantifiers (each `.label` starts with its dot), so it cannot backtrack badly;
 * its top-level domain is checked in code.
 */
const TEXT_RE = new RegExp(
  `${MENTION_PATTERN}|(?<![\\w~-])~([a-z0-9][a-z0-9_-]{0,63})|:([a-z0-9_+-]{1,64}):|(?<![\\w.%+-])([a-z0-9._%+-]{1,64}@[a-z0-9-]+(?:\\.[a-z0-9-]+)+)`,
  'gi',
);

interface State {
  readonly ctx: MarkdownContext;
  /** Inside a link: no mention or channel links (no links in links). */
  linkDepth: number;
  /** Inside a link whose text is its URL (autolinked): the text stays exactly the URL, no emoji. */
  inAutolink: boolean;
  budget: number;
}

/** Plain text with mentions, ~channel links, :emoji: and e-mail addresses made elements. */
function text(content: string, st: State): MdNode[] {
  if (!/[@~:]/.test(content)) return [content];
  const out: MdNode[] = [];
  let last = 0;
  for (const m of content.matchAll(TEXT_RE)) {
    let node: MdNode | undefined;
    if (m[1] !== undefined && st.linkDepth === 0) {
      const mention = mentionOf(m[1], st.ctx.me);
      node = el('span', { className: mention.me ? 'mention mention-me' : 'mention' }, m[0]);
    } else if (m[2] !== undefined && st.linkDepth === 0) {
      const name = m[2].toLowerCase();
      node = st.ctx.team !== undefined
        ? el('a', { className: 'channel-mention', href: channelPath(st.ctx.team, name) }, m[0])
        : el('span', { className: 'channel-mention' }, m[0]);
    } else if (m[4] !== undefined && st.linkDepth === 0) {
      // Trailing dots are punctuation; the last label must be a top-level domain (letters).
      const address = m[4].replace(/\.+$/, '');
      const safe = /\.[a-z]{2,63}$/i.test(address) && !address.startsWith('.') ? safeHref(`mailto:${address}`) : undefined;
      if (safe !== undefined) {
        if (m.index > last) out.push(content.slice(last, m.index));
        out.push(el('a', linkProps(safe), address));
        last = m.index + address.length;
      }
      continue;
    } else if (m[3] !== undefined && !st.inAutolink) {
      const char = emojiChar(m[3]);
      // A custom emoji's node carries its name as text; the client draws it (components/Emoji.tsx).
      if (char !== `:${m[3]}:` || customEmojiUrl(m[3]) !== undefined) node = el('span', { className: 'emoji', role: 'img', 'aria-label': m[3], title: m[0] }, char);
    }
    if (node === undefined) continue;
    if (m.index > last) out.push(content.slice(last, m.index));
    out.push(node);
    last = m.index + m[0].length;
  }
  if (last < content.length) out.push(last === 0 ? content : content.slice(last));
  return out;
}

/** Highlighted code (hast from lowlight) → spans with class names, and text; nothing else. */
function hast(nodes: readonly RootContent[]): MdNode[] {
  const out: MdNode[] = [];
  for (const n of nodes) {
    if (n.type === 'text') out.push(n.value);
    else if (n.type === 'element') {
      const cls = n.properties['className'];
      const className = Array.isArray(cls) ? cls.filter((x) => typeof x === 'string' && /^[\w-]+$/.test(x)).join(' ') : undefined;
      out.push({ tag: 'span', props: { className }, children: hast(n.children) });
    }
  }
  return out;
}

function codeBlock(content: string, info: string, st: State): MdElement {
  const code = content.endsWith('\n') ? content.slice(0, -1) : content;
  const lang = (info.trim().split(/\s+/)[0] ?? '').toLowerCase();
  const known = /^[a-z0-9_+#.-]{1,32}$/.test(lang);
  const hl = st.ctx.highlighter;
  if (known && hl !== undefined && hl.registered(lang) && code.length <= MAX_HIGHLIGHT && code.length <= st.budget) {
    st.budget -= code.length;
    try {
      const tree = hl.highlight(lang, code);
      return el('pre', null, { tag: 'code', props: { className: `hljs language-${lang}` }, children: hast(tree.children) });
    } catch {
      // A grammar that fails shows the code plain.
    }
  }
  return el('pre', null, el('code', { className: known ? `language-${lang}` : undefined }, code));
}

/** External links open in a new tab, without telling the target who sent the reader. */
function linkProps(safe: SafeHref): MdProps {
  return safe.internal ? { href: safe.href } : { href: safe.href, target: '_blank', rel: 'noopener noreferrer nofollow' };
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
  readonly type: MdTag;
  readonly props: MdProps | null;
  readonly first?: MdNode;
}

const SIMPLE: Readonly<Record<string, MdTag>> = {
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
const HEADINGS: ReadonlySet<string> = new Set<MdTag>(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);

/** The element an opening token becomes, or null for a transparent one (its children still show). */
function open(t: Token, st: State): Open | null {
  const simple = SIMPLE[t.type];
  if (simple !== undefined) return { type: simple, props: null };
  switch (t.type) {
    case 'paragraph_open':
      return t.hidden ? null : { type: 'p', props: null };
    case 'heading_open':
      return { type: HEADINGS.has(t.tag) ? (t.tag as MdTag) : 'p', props: null };
    case 'ordered_list_open': {
      const start = Number(attr(t, 'start') || 1);
      return { type: 'ol', props: Number.isSafeInteger(start) && start !== 1 ? { start } : null };
    }
    case 'list_item_open': {
      const task = (t.meta as { task?: boolean } | null)?.task;
      if (task === undefined) return { type: 'li', props: null };
      const box = el('input', { type: 'checkbox', checked: task, disabled: true, readOnly: true, 'aria-label': task ? tr('markdown.taskDone') : tr('markdown.taskNotDone') });
      return { type: 'li', props: { className: 'task-list-item' }, first: box };
    }
    case 'th_open':
    case 'td_open':
      return { type: t.type === 'th_open' ? 'th' : 'td', props: { className: alignClass(t) } };
    case 'link_open': {
      st.linkDepth++;
      st.inAutolink = t.markup === 'linkify' || t.markup === 'autolink';
      const safe = safeHref(attr(t, 'href'));
      return safe === undefined ? null : { type: 'a', props: linkProps(safe) };
    }
    default:
      return null;
  }
}

/** A token without children of its own in the stream (text, code, breaks, inline runs, images). */
function leaf(t: Token, st: State): MdNode[] {
  switch (t.type) {
    case 'inline':
      return render(t.children ?? [], st);
    case 'text':
      return text(t.content, st);
    case 'softbreak':
    case 'hardbreak':
      return [el('br', null)];
    case 'code_inline':
      return [el('code', null, t.content)];
    case 'fence':
    case 'code_block':
      return [codeBlock(t.content, t.info, st)];
    case 'hr':
      return [el('hr', null)];
    case 'image': {
      // Never an <img>: a link to it (when its URL is allowed), or its description.
      const alt = (t.children ?? []).map((c) => c.content).join('');
      const safe = safeHref(attr(t, 'src'));
      if (safe === undefined || st.linkDepth > 0) return alt !== '' ? [alt] : [];
      return [el('a', { ...linkProps(safe), className: 'image-link' }, alt !== '' ? alt : safe.href)];
    }
    default:
      // html_inline/html_block cannot occur (raw HTML is off); anything else shows as its text.
      return t.content !== '' ? [t.content] : [];
  }
}

interface Frame {
  readonly open: Open | null;
  readonly token: Token | null;
  readonly children: MdNode[];
}

function close(frame: Frame, into: MdNode[], st: State): void {
  if (frame.token?.type === 'link_open') {
    st.linkDepth--;
    st.inAutolink = false;
  }
  if (frame.open === null) append(into, frame.children);
  else {
    if (frame.open.first !== undefined) frame.children.unshift(frame.open.first);
    into.push({ tag: frame.open.type, props: frame.open.props, children: frame.children });
  }
}

/** A flat token stream (opening, leaf and closing tokens) → a tree of elements. */
function render(tokens: readonly Token[], st: State): MdNode[] {
  const root: Frame = { open: null, token: null, children: [] };
  const stack: Frame[] = [root];
  for (const t of tokens) {
    if (t.nesting === 1) {
      stack.push({ open: open(t, st), token: t, children: [] });
    } else if (t.nesting === -1) {
      if (stack.length > 1) close(stack.pop()!, stack[stack.length - 1]!.children, st);
    } else {
      append(stack[stack.length - 1]!.children, leaf(t, st));
    }
  }
  while (stack.length > 1) close(stack.pop()!, stack[stack.length - 1]!.children, st);
  return root.children;
}

/** One message's Markdown as a tree. Pure: the same text and context give the same tree. */
export function renderMarkdown(message: string, ctx: MarkdownContext = {}): MdNode[] {
  const st: State = { ctx, linkDepth: 0, inAutolink: false, budget: HIGHLIGHT_BUDGET };
  return render(md.parse(message, {}), st);
}
