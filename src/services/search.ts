/**
 * Search: posts (full text with the query language of domain/search.ts), files by name and
 * type, channels by name and purpose, people. The caller's read scope comes from Access
 * (`searchScope`, a recorded decision) and is applied by the store inside each query, so a
 * result, a total and a page only ever reflect channels the caller can read right now.
 * Names in operators (`in:`, `from:`) are resolved here; a name the caller cannot see simply
 * matches nothing (the same answer as a name that does not exist).
 */
import type { Channel, FileInfo, Post } from '../domain/entities.js';
import { badRequest } from '../domain/errors.js';
import { fileView, type FileView, type PostView } from '../domain/presenters.js';
import { conversationKey } from '../domain/rules.js';
import { excerpt, matchRanges, normalize, parseSearchQuery, tokenize, type ParsedSearch } from '../domain/search.js';
import { SEARCH_COUNT_CAP, type PostQuery, type SearchDocument } from '../store/search.js';
import type { Access } from './access.js';
import type { CallContext, ServiceDeps } from './context.js';
import type { PostService } from './posts.js';

export interface ChannelSummary {
  id: string;
  team_id: string | null;
  type: Channel['type'];
  name: string;
  display_name: string;
}

export interface PostHit {
  post: PostView;
  channel: ChannelSummary;
  excerpt: ReturnType<typeof excerpt>;
}

export interface PostResults {
  results: PostHit[];
  /** Matches the caller may read (counted inside the query); at most SEARCH_COUNT_CAP. */
  total: number;
  /** `total` reached the cap: there are at least that many. */
  total_capped: boolean;
  order: 'newest' | 'relevance';
  /** Newest order: pass as `cursor` for the next page; null at the end. */
  next_cursor: string | null;
  page: number;
  per_page: number;
}

export interface PostSearchInput {
  readonly q: string;
  readonly team_id?: string | undefined;
  readonly channel_id?: string | undefined;
  readonly order?: 'newest' | 'relevance' | undefined;
  readonly cursor?: string | undefined;
  readonly page?: number | undefined;
  readonly per_page?: number | undefined;
}

/** `type:` values of the file search, as MIME type prefixes. */
const FILE_TYPES: Readonly<Record<string, readonly string[]>> = {
  image: ['image/'],
  video: ['video/'],
  audio: ['audio/'],
  pdf: ['application/pdf'],
  text: ['text/'],
  document: ['application/pdf', 'application/msword', 'application/vnd.openxmlformats-officedocument', 'application/vnd.oasis.opendocument', 'text/'],
  archive: ['application/zip', 'application/gzip', 'application/x-tar', 'application/x-7z-compressed', 'application/x-bzip2', 'application/x-xz', 'application/vnd.rar'],
};

const summary = (c: Channel): ChannelSummary => ({ id: c.id, team_id: c.team_id, type: c.type, name: c.name, display_name: c.display_name });

function paging(page: number | undefined, perPage: number | undefined): { page: number; perPage: number } {
  return { page: Math.max(page ?? 0, 0), perPage: Math.min(Math.max(perPage ?? 20, 1), 100) };
}

export class SearchService {
  constructor(private readonly deps: ServiceDeps, private readonly access: Access, private readonly posts: PostService) {}

  /** `in:` names → channel ids among the caller's own channels (and direct channels with `in:@user`). */
  private async channelsNamed(ctx: CallContext, parsed: Pick<ParsedSearch, 'inChannels' | 'inUsers'>): Promise<string[] | undefined> {
    if (parsed.inChannels.length === 0 && parsed.inUsers.length === 0) return undefined;
    const ids: string[] = [];
    if (parsed.inChannels.length > 0) {
      const wanted = new Set(parsed.inChannels);
      for (const c of await this.deps.store.channels.listForUser(ctx.actor.userId)) if ((c.type === 'public' || c.type === 'private') && wanted.has(c.name.toLowerCase())) ids.push(c.id);
    }
    if (parsed.inUsers.length > 0) {
      for (const u of await this.deps.store.users.getByUsernames(parsed.inUsers)) {
        const dm = await this.deps.store.channels.getByMemberKey(conversationKey('direct', [ctx.actor.userId, u.id]));
        if (dm !== undefined && dm.type === 'direct') ids.push(dm.id);
      }
    }
    return ids;
  }

  private async usersNamed(usernames: readonly string[]): Promise<string[] | undefined> {
    if (usernames.length === 0) return undefined;
    return (await this.deps.store.users.getByUsernames(usernames)).map((u) => u.id);
  }

  async searchPosts(ctx: CallContext, input: PostSearchInput): Promise<PostResults> {
    const parsed = parseSearchQuery(input.q, this.deps.clock());
    const scope = this.access.searchScope(ctx);
    if (input.team_id !== undefined) await this.access.team(ctx, input.team_id, 'read');
    let channelIds = await this.channelsNamed(ctx, parsed);
    if (input.channel_id !== undefined) {
      await this.access.channel(ctx, input.channel_id);
      channelIds = channelIds === undefined ? [input.channel_id] : channelIds.filter((id) => id === input.channel_id);
    }
    const order = input.order ?? 'newest';
    const { page, perPage } = paging(input.page, input.per_page);
    let beforeSeq: number | undefined;
    if (input.cursor !== undefined) {
      if (order !== 'newest' || !/^\d{1,15}$/.test(input.cursor)) throw badRequest('cursor is for order=newest and must be the next_cursor of a previous page');
      beforeSeq = Number(input.cursor);
    }
    const query: PostQuery = {
      scope, clauses: parsed.clauses, teamId: input.team_id, channelIds, userIds: await this.usersNamed(parsed.from),
      createdFrom: parsed.createdFrom, createdBefore: parsed.createdBefore, isPinned: parsed.isPinned, hasFile: parsed.hasFile, hasImage: parsed.hasImage,
    };
    const { posts, total } = await this.deps.store.search.posts(query, { order, beforeSeq, offset: beforeSeq === undefined ? page * perPage : 0, limit: perPage });
    const views = await this.posts.views(posts);
    const channels = await this.channelsById(posts);
    const last = posts.at(-1);
    return {
      results: views.map((post, i) => ({ post, channel: summary(channels.get(posts[i]!.channel_id)!), excerpt: excerpt(posts[i]!.message, matchRanges(posts[i]!.message, parsed)) })),
      total,
      total_capped: total >= SEARCH_COUNT_CAP,
      order,
      next_cursor: order === 'newest' && posts.length === perPage && last !== undefined ? String(last.seq) : null,
      page,
      per_page: perPage,
    };
  }

  private async channelsById(posts: readonly Post[]): Promise<Map<string, Channel>> {
    return new Map((await this.deps.store.channels.getMany(posts.map((p) => p.channel_id))).map((c) => [c.id, c]));
  }


  /**
   * Files by name: words of the query must all appear in the name; `from:`, `in:`, `before:`,
   * `after:`, `on:` as for posts; `ext:pdf` and `type:image|video|audio|pdf|text|document|archive`.
   */
  async searchFiles(ctx: CallContext, input: { q: string; team_id?: string | undefined; page?: number | undefined; per_page?: number | undefined }): Promise<{ files: (FileView & { channel: ChannelSummary })[]; total: number; page: number; per_page: number }> {
    const extensions: string[] = [];
    const mimePrefixes: string[] = [];
    let rest = input.q.replace(/(^|\s)(ext|type):(\S*)/gi, (_m, lead: string, op: string, value: string) => {
      const v = value.toLowerCase().replace(/^\./, '');
      if (op.toLowerCase() === 'ext') {
        if (!/^[a-z0-9]{1,16}$/.test(v)) throw badRequest('ext: expects a file extension like pdf');
        extensions.push(v);
      } else {
        const prefixes = FILE_TYPES[v];
        if (prefixes === undefined) throw badRequest(`type: expects one of ${Object.keys(FILE_TYPES).join(', ')}`);
        mimePrefixes.push(...prefixes);
      }
      return lead;
    });
    rest = rest.trim();
    let parsed: ParsedSearch | undefined;
    if (rest !== '') parsed = parseSearchQuery(rest, this.deps.clock());
    else if (extensions.length === 0 && mimePrefixes.length === 0) throw badRequest('Search query is empty');
    const scope = this.access.searchScope(ctx);
    if (input.team_id !== undefined) await this.access.team(ctx, input.team_id, 'read');
    // File names are matched on the words as typed (not stems): the query without its operators and excluded words.
    const nameWords = tokenize(normalize(rest.replace(/(^|\s)((from|in|before|after|on|is|has):\S*|-\S+)/gi, ' '))).map((t) => t.token).slice(0, 32);
    const { page, perPage } = paging(input.page, input.per_page);
    const { files, total } = await this.deps.store.search.files({
      scope, nameWords, teamId: input.team_id, channelIds: parsed ? await this.channelsNamed(ctx, parsed) : undefined, userIds: parsed ? await this.usersNamed(parsed.from) : undefined,
      createdFrom: parsed?.createdFrom, createdBefore: parsed?.createdBefore, extensions, mimePrefixes,
    }, page * perPage, perPage);
    const channels = await this.channelsById(files.map((f) => ({ channel_id: f.channel_id }) as Post));
    return { files: files.map((f: FileInfo) => ({ ...fileView(f), channel: summary(channels.get(f.channel_id)!) })), total, page, per_page: perPage };
  }

  /** Channels by name, display name and purpose: public ones of my teams, private ones I am in; archived ones on request. */
  async searchChannels(ctx: CallContext, input: { q: string; team_id?: string | undefined; include_archived?: boolean | undefined }): Promise<Channel[]> {
    const words = tokenize(normalize(input.q)).map((t) => t.token);
    if (words.length === 0) throw badRequest('Search query is empty');
    if (words.length > 16) throw badRequest('At most 16 words in a channel search');
    const scope = this.access.searchScope(ctx);
    if (input.team_id !== undefined) await this.access.team(ctx, input.team_id, 'read');
    return this.deps.store.search.channels(scope, words, { teamId: input.team_id, includeArchived: input.include_archived === true, limit: 50 });
  }
}

const BACKFILL_BATCH = 500;

/**
 * Indexes the posts written before search existed (migration 7 left them pending), batch by
 * batch in the background, with progress in the log; new and edited posts are indexed as
 * they are written meanwhile. Resolves when nothing is left (or on the first error, logged:
 * the next start resumes where this one stopped). One process of a node runs it (app.ts: the
 * single process, or worker 0); nodes sharing PostgreSQL take turns through its row lock.
 */
export async function backfillSearchIndex(deps: ServiceDeps, analyze: (message: string) => SearchDocument, shouldStop: () => boolean = () => false): Promise<number> {
  let total = 0;
  deps.logger.debug('search: looking for posts written before search existed');
  try {
    for (;;) {
      if (shouldStop()) return total;
      // A write like any other: on the embedded database it joins a group-commit batch, so it
      // takes this process's write turn when several workers share the file.
      const { indexed, remaining } = await deps.store.transaction((tx) => tx.search.backfill(BACKFILL_BATCH, analyze));
      total += indexed;
      if (total > 0) deps.logger.info({ indexed: total, remaining }, remaining === 0 ? 'search: existing posts indexed' : 'search: indexing existing posts');
      if (remaining === 0) return total;
    }
  } catch (err) {
    deps.logger.warn({ err, indexed: total }, 'search: indexing existing posts stopped; it resumes at the next start');
    return total;
  }
}
