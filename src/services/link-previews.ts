/**
 * Link previews: after a post commits, its first http(s) link (outside code) is fetched in the
 * background and the page's Open Graph / Twitter card / <title> metadata attached to the post,
 * with its image stored through the files storage. A preview never blocks, slows or fails the
 * post: the fetch runs after the commit, in a bounded queue with bounded concurrency, and any
 * failure only means "no preview" (logged at debug, or info for a refused address, with the
 * link reduced to its host).
 *
 * Every byte comes through the SSRF-safe outbound client (security/outbound.ts), given here
 * with loopback refused whatever the environment: only public addresses, or hosts an admin
 * listed in RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS (not the SSO list: any user can post a link); every redirect re-checked; bounded in time and
 * size; no cookies. A page is read as text/html only, at most HTML_BYTES of it (cut, not
 * refused: the metadata is at the top); an image as a raster image type only, at most
 * IMAGE_BYTES, sniffed and re-encoded by FileService (an SVG is refused there whatever its
 * Content-Type said).
 *
 * The image fetch (`fetchImage`) is shared: the images of webhooks' Slack attachments
 * (services/attachment-images.ts) come through it, the same client and the same bounds, and
 * both kinds of work wait in the one bounded queue (services/fetch-queue.ts).
 *
 * Attaching is conditional, in one transaction: the post still exists, its first link is still
 * the one fetched, and its author has not removed the preview for that link; then a
 * `post_edited` event (in the channel's commit order) lets clients show it.
 *
 * Reading: a preview is part of its post (PostView.preview); its image is served by
 * `openImage` only to someone who may read the post (Access.post), never hot-linked.
 */
import { firstLink, pageCharset, parsePageMeta, type PageMeta } from '../domain/link-preview.js';
import type { Post, PostPreview } from '../domain/entities.js';
import { AppError, notFound } from '../domain/errors.js';
import type { PostView } from '../domain/presenters.js';
import { OutboundRefused, type ReadOptions, type ReadResult } from '../security/outbound.js';
import type { StoredObject } from '../storage/blob-storage.js';
import type { Store } from '../store/store.js';
import type { Access } from './access.js';
import type { CallContext, ServiceDeps } from './context.js';
import type { FetchQueue } from './fetch-queue.js';
import type { FileService } from './files.js';

/** The part of the outbound client previews (and attachment images) use. */
export interface PreviewFetcher {
  read(url: string, options: ReadOptions): Promise<ReadResult>;
}

export interface LinkPreviewOptions {
  /** RUSTCHAT_LINK_PREVIEWS. */
  readonly enabled: boolean;
  readonly fetcher: PreviewFetcher;
  /** Counts outcomes (rustchat_link_previews_total{outcome}). */
  readonly count?: (outcome: 'attached' | 'refused' | 'failed' | 'empty' | 'stale' | 'dropped') => void;
}

/** How much of a page is read for its metadata. */
export const HTML_BYTES = 512 * 1024;
/** The largest preview image fetched (the outbound client for previews is built with this bound). */
export const IMAGE_BYTES = 5 * 1024 * 1024;
/** The only ports a preview (page or image) is fetched from, unless its host is in RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS. */
export const LINK_PREVIEW_PORTS: readonly number[] = [80, 443];
export const USER_AGENT = 'RustChat-LinkPreview/1.0';
const HTML_TYPES = /^(text\/html|application\/xhtml\+xml)\s*(;|$)/i;
// Any image type but SVG on the wire (servers say image/jpg, image/pjpeg…); the bytes decide after (FileService).
const IMAGE_TYPES = /^image\/(?!svg)[\w.+-]+\s*(;|$)/i;

interface Job {
  readonly postId: string;
  readonly userId: string;
  readonly url: string;
}

const ok = (status: number): string | undefined => (status >= 200 && status < 300 ? undefined : `status ${status}`);

/** The host of a link, for logs: the path and query of what someone posted are theirs. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid)';
  }
}

/** An image fetched and stored by `fetchImage`: its storage key (under `previews/`) and size. */
export interface StoredRemoteImage {
  readonly key: string;
  readonly width: number;
  readonly height: number;
}

/**
 * Fetches the image at `url` through the previews' outbound client and stores it
 * (FileService.storeLinkPreviewImage): a raster `image/…` type on the wire (SVG refused before
 * a byte of the body is read), at most IMAGE_BYTES (a larger Content-Length refused at once,
 * a longer body cut off by the client), every redirect re-checked by the client; then sniffed,
 * pixel-checked and re-encoded as WebP. Throws OutboundRefused (an address or port the client
 * will not reach, a status, a type, a size), AppError (bytes that are not a usable image) or
 * a network error: the caller's outcome is "no image". The one image fetch of the server:
 * link previews and attachment images both use it.
 */
export async function fetchImage(fetcher: PreviewFetcher, files: FileService, url: string, signal: AbortSignal): Promise<StoredRemoteImage> {
  const res = await fetcher.read(url, {
    maxBytes: IMAGE_BYTES,
    accept: (status, headers) => ok(status)
      ?? (IMAGE_TYPES.test(headers.get('content-type') ?? '') ? undefined : 'not a raster image')
      ?? (Number(headers.get('content-length') ?? 0) > IMAGE_BYTES ? `image larger than ${IMAGE_BYTES} bytes` : undefined),
    headers: { accept: 'image/webp,image/png,image/jpeg,image/gif', 'user-agent': USER_AGENT },
    signal,
  });
  return files.storeLinkPreviewImage(res.body);
}

export class LinkPreviewService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly access: Access,
    private readonly files: FileService,
    /** The bounded queue shared with attachment images (services/fetch-queue.ts). */
    private readonly queue: FetchQueue,
    private readonly options: LinkPreviewOptions,
    /** The post's view (PostService.view: reactions, files, preview), for the event. */
    private readonly view: (post: Post, store: Store) => Promise<PostView>,
  ) {}

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** Queues the post's first link for a preview (call after the post, or an edit that changed the link, committed). */
  schedule(post: { readonly id: string; readonly user_id: string; readonly message: string }): void {
    if (!this.options.enabled || this.queue.closed) return;
    const url = firstLink(post.message);
    if (url === undefined) return;
    const job: Job = { postId: post.id, userId: post.user_id, url };
    const outcome = this.queue.add(post.user_id, () => this.run(job), (err) => this.deps.logger.warn({ err, post_id: job.postId, host: hostOf(job.url) }, 'link preview failed'));
    if (outcome === 'queue_full' || outcome === 'owner_full') {
      const why = outcome === 'owner_full' ? 'link preview skipped: this author has too many waiting' : 'link preview skipped: the queue is full';
      this.deps.logger.info({ post_id: post.id, queued: this.queue.waiting, author_queued: this.queue.ownerLoad(post.user_id) }, why);
      this.options.count?.('dropped');
    }
  }

  private async run(job: Job): Promise<void> {
    let meta: PageMeta;
    try {
      meta = await this.fetchPage(job.url);
    } catch (err) {
      this.fetchFailed(job, 'page', err);
      return;
    }
    if (meta.title === null && meta.description === null && meta.image === null) {
      this.deps.logger.debug({ post_id: job.postId, host: hostOf(job.url) }, 'link preview: the page describes nothing');
      this.options.count?.('empty');
      return;
    }
    let image: { key: string; width: number; height: number } | undefined;
    if (meta.image !== null && !this.queue.closed) {
      try {
        image = await fetchImage(this.options.fetcher, this.files, meta.image, this.queue.signal);
      } catch (err) {
        this.fetchFailed(job, 'image', err);
      }
    }
    if (meta.title === null && meta.description === null && image === undefined) {
      this.options.count?.('empty');
      return;
    }
    this.options.count?.((await this.attach(job, meta, image)) ? 'attached' : 'stale');
  }

  private fetchFailed(job: Job, what: 'page' | 'image', err: unknown): void {
    const fields = { post_id: job.postId, host: hostOf(job.url), what };
    // A page that failed is the preview's outcome; an image that failed still leaves one.
    if (what === 'page') this.options.count?.(err instanceof OutboundRefused && /address$|^port \d+ not allowed$/.test(err.reason) ? 'refused' : 'failed');
    if (err instanceof OutboundRefused) this.deps.logger.info({ ...fields, reason: err.reason }, 'link preview refused');
    else if (err instanceof AppError) this.deps.logger.debug({ ...fields, reason: err.message }, 'link preview image not usable');
    else this.deps.logger.debug({ ...fields, reason: err instanceof Error ? err.message : String(err) }, 'link preview fetch failed');
  }

  private async fetchPage(url: string): Promise<PageMeta> {
    const res = await this.options.fetcher.read(url, {
      maxBytes: HTML_BYTES,
      truncate: true,
      accept: (status, headers) => ok(status) ?? (HTML_TYPES.test(headers.get('content-type') ?? '') ? undefined : 'not an HTML page'),
      headers: { accept: 'text/html,application/xhtml+xml;q=0.9', 'user-agent': USER_AGENT },
      signal: this.queue.signal,
    });
    const text = new TextDecoder(pageCharset(res.headers.get('content-type'), res.body)).decode(res.body);
    return parsePageMeta(text, res.url);
  }

  /** Whether it was attached (false: the post is gone, links elsewhere now, or its author removed the preview). */
  private async attach(job: Job, meta: PageMeta, image: { key: string; width: number; height: number } | undefined): Promise<boolean> {
    const row: PostPreview = {
      post_id: job.postId, url: job.url, title: meta.title, description: meta.description, site_name: meta.site_name,
      image_key: image?.key ?? null, image_width: image?.width ?? null, image_height: image?.height ?? null, dismissed: 0, created_at: this.deps.clock(),
    };
    const outcome = await this.deps.store.transaction(async (tx) => {
      const post = await tx.posts.get(job.postId);
      // Deleted, or edited to another link while we fetched (that edit queued its own fetch).
      if (post === undefined || post.deleted_at !== null || firstLink(post.message) !== job.url) return undefined;
      const current = await tx.previews.get(post.id);
      if (current !== undefined && current.dismissed === 1 && current.url === job.url) return undefined;
      const replaced = await tx.previews.put(row);
      await tx.channels.takeEventSeq(post.channel_id);
      tx.publish({ event: 'post_edited', data: { post: await this.view(post, tx) }, broadcast: { channel_id: post.channel_id } });
      return { replaced };
    });
    if (outcome === undefined) {
      if (image !== undefined) await this.files.removeLinkPreviewImages([image.key]);
      return false;
    }
    const stale = outcome.replaced?.image_key;
    if (stale !== undefined && stale !== null) await this.files.removeLinkPreviewImages([stale]);
    // A delete that committed between our read and our write found no row to remove: finish it.
    const post = await this.deps.store.posts.get(job.postId);
    if (post === undefined || post.deleted_at !== null) await this.discard([job.postId]);
    return true;
  }

  /** Forgets the previews of posts that are gone (after their delete committed). */
  async discard(postIds: readonly string[]): Promise<void> {
    const gone = await this.deps.store.previews.deleteForPosts(postIds);
    await this.forget(gone);
  }

  /** Removes the images of preview rows already deleted (in the caller's committed transaction). */
  async forget(rows: readonly PostPreview[]): Promise<void> {
    await this.files.removeLinkPreviewImages(rows.flatMap((r) => (r.image_key === null ? [] : [r.image_key])));
  }

  /**
   * The author takes the preview off their post (DELETE /posts/:id/preview). Kept as a
   * dismissed row for the current link, so a fetch still running cannot bring it back; an
   * edit to another link starts over. 404 when the post has no link to preview.
   */
  async remove(ctx: CallContext, postId: string): Promise<PostView> {
    const { post } = await this.access.post(ctx, postId, 'remove_preview');
    const url = firstLink(post.message);
    if (url === undefined) throw notFound('Preview');
    const result = await this.deps.store.transaction(async (tx) => {
      const current = await tx.previews.get(postId);
      const dismissed: PostPreview = {
        post_id: postId, url, title: null, description: null, site_name: null, image_key: null, image_width: null, image_height: null, dismissed: 1, created_at: this.deps.clock(),
      };
      await tx.previews.put(dismissed);
      const fresh = (await tx.posts.get(postId)) ?? post;
      const view = await this.view(fresh, tx);
      if (current !== undefined && current.dismissed === 0) {
        await tx.channels.takeEventSeq(post.channel_id);
        tx.publish({ event: 'post_edited', data: { post: view }, broadcast: { channel_id: post.channel_id } });
      }
      return { view, current };
    });
    if (result.current !== undefined) await this.forget([result.current]);
    return result.view;
  }

  /** The preview image of a post, for someone who may read the post (404 otherwise, as for a post that does not exist). */
  async openImage(ctx: CallContext, postId: string): Promise<{ object: StoredObject; etag: string }> {
    await this.access.post(ctx, postId);
    const [row] = await this.deps.store.previews.forPosts([postId]);
    if (row === undefined || row.image_key === null) throw notFound('Preview');
    return { object: await this.files.openLinkPreviewImage(row.image_key), etag: `"${row.image_key.split('/').pop()!}"` };
  }

  /** Resolves once nothing is queued or running in the shared queue, attachment images included (tests: "the fetch is over", whatever its outcome). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Stops the shared queue: abandons what is queued and waits for the fetches running (they are aborted). */
  close(): Promise<void> {
    return this.queue.close();
  }
}
