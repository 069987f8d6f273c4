/**
 * Attachment images: the `image_url` and `thumb_url` of a post's Slack attachments (an
 * incoming webhook's post, an outgoing webhook's answer: only the server sets
 * `props.attachments`) are fetched after the post commits and stored, so that readers see the
 * image from this server (the Content-Security-Policy forbids remote images, and a reader's
 * browser should not tell a third party who reads the channel) while the remote URL stays the
 * link target.
 *
 * Exactly the link previews' way (services/link-previews.ts), reused rather than repeated:
 *   - the same switch, RUSTCHAT_LINK_PREVIEWS (false: nothing is fetched, images stay links):
 *     the one setting that says "the server fetches what posts point at";
 *   - the same outbound client (loopback and every internal address refused whatever the
 *     environment, unless the host is in RUSTCHAT_LINK_PREVIEW_ALLOWED_HOSTS; ports 80 and 443
 *     otherwise; every redirect re-checked; bounded in time; no cookies) and the same image
 *     fetch (`fetchImage`: raster types only, SVG refused, at most IMAGE_BYTES, sniffed and
 *     re-encoded as WebP by FileService, never the remote bytes);
 *   - the same bounded queue (services/fetch-queue.ts), shared with previews: 2 fetches at
 *     once, 200 waiting, 10 per author; a post that does not fit gets no images. At most
 *     MAX_ATTACHMENT_IMAGES distinct URLs per post (domain/webhooks.ts wantedImages), one
 *     after the other within the post's turn.
 * A failure only means "no image" for that URL (logged at debug, or info for a refused
 * address, with the host only, never the path or query); the post is never delayed or failed.
 *
 * Attaching is conditional, in one transaction: the post still exists and has no images yet;
 * then a `post_edited` event (in the channel's commit order) lets clients show them. Rows live
 * in `post_attachment_images` (migration 17), never in props: a client cannot name a storage
 * key. They go with their post (PostService.delete), the objects after the commit.
 *
 * Reading: PostView.attachment_images; the bytes are served by `openImage` only to someone who
 * may read the post (Access.post), never hot-linked.
 */
import type { AttachmentImage, AttachmentImageKind, Post } from '../domain/entities.js';
import { AppError, notFound } from '../domain/errors.js';
import type { PostView } from '../domain/presenters.js';
import { MAX_ATTACHMENT_IMAGES, wantedImages, type WantedImage } from '../domain/webhooks.js';
import { OutboundRefused } from '../security/outbound.js';
import type { StoredObject } from '../storage/blob-storage.js';
import type { Store } from '../store/store.js';
import type { Access } from './access.js';
import type { CallContext, ServiceDeps } from './context.js';
import type { FetchQueue } from './fetch-queue.js';
import type { FileService } from './files.js';
import { fetchImage, hostOf, type PreviewFetcher, type StoredRemoteImage } from './link-previews.js';

export type AttachmentImageOutcome = 'attached' | 'refused' | 'failed' | 'stale' | 'dropped';

export interface AttachmentImageOptions {
  /** RUSTCHAT_LINK_PREVIEWS: off, nothing is fetched. */
  readonly enabled: boolean;
  /** The link previews' outbound client (the same instance). */
  readonly fetcher: PreviewFetcher;
  /** Counts outcomes per image (rustchat_attachment_images_total{outcome}). */
  readonly count?: (outcome: AttachmentImageOutcome) => void;
  /** Distinct URLs fetched per post (default MAX_ATTACHMENT_IMAGES). */
  readonly maxPerPost?: number;
  /**
   * How long one post's images may hold a fetch slot in all (default ATTACHMENT_TASK_MS): the
   * slots are shared with link previews, and ten slow servers must not keep them for minutes.
   */
  readonly taskMs?: number;
}

/** The default bound on one post's image fetches together (each fetch also has its own timeout). */
export const ATTACHMENT_TASK_MS = 20_000;

interface Job {
  readonly postId: string;
  readonly userId: string;
  readonly wanted: readonly WantedImage[];
}

/** Whether a refusal was about where the URL leads (an internal address, a port), rather than what came back. */
const refusedAddress = (err: unknown): boolean => err instanceof OutboundRefused && /address$|^port \d+ not allowed$/.test(err.reason);

export class AttachmentImageService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly access: Access,
    private readonly files: FileService,
    /** The bounded queue shared with link previews. */
    private readonly queue: FetchQueue,
    private readonly options: AttachmentImageOptions,
    /** The post's view (PostService.view), for the event. */
    private readonly view: (post: Post, store: Store) => Promise<PostView>,
  ) {}

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** Queues the images of a new post's attachments (call after the post committed). */
  schedule(post: { readonly id: string; readonly user_id: string; readonly props: Readonly<Record<string, unknown>> }): void {
    if (!this.options.enabled || this.queue.closed) return;
    const wanted = wantedImages(post.props.attachments, this.options.maxPerPost ?? MAX_ATTACHMENT_IMAGES);
    if (wanted.length === 0) return;
    const job: Job = { postId: post.id, userId: post.user_id, wanted };
    const outcome = this.queue.add(post.user_id, () => this.run(job), (err) => this.deps.logger.warn({ err, post_id: job.postId }, 'attachment images failed'));
    if (outcome === 'queue_full' || outcome === 'owner_full') {
      const why = outcome === 'owner_full' ? 'attachment images skipped: this author has too many waiting' : 'attachment images skipped: the queue is full';
      this.deps.logger.info({ post_id: post.id, queued: this.queue.waiting, author_queued: this.queue.ownerLoad(post.user_id) }, why);
      const images = new Set(wanted.map((w) => w.url)).size;
      for (let i = 0; i < images; i++) this.options.count?.('dropped');
    }
  }

  private async run(job: Job): Promise<void> {
    const fetched = new Map<string, StoredRemoteImage>();
    const urls = [...new Set(job.wanted.map((w) => w.url))];
    // One deadline for the whole post (the queue's close aborts it too).
    const signal = AbortSignal.any([this.queue.signal, AbortSignal.timeout(this.options.taskMs ?? ATTACHMENT_TASK_MS)]);
    for (const url of urls) {
      // Closing, out of time, or the post deleted meanwhile: the rest are not fetched.
      if (this.queue.closed || signal.aborted || !(await this.postLive(job.postId))) break;
      try {
        fetched.set(url, await fetchImage(this.options.fetcher, this.files, url, signal));
      } catch (err) {
        this.fetchFailed(job, url, err);
      }
    }
    if (fetched.size === 0) return;
    const attached = await this.attach(job, fetched);
    for (let i = 0; i < fetched.size; i++) this.options.count?.(attached ? 'attached' : 'stale');
  }

  private async postLive(postId: string): Promise<boolean> {
    const post = await this.deps.store.posts.get(postId);
    return post !== undefined && post.deleted_at === null;
  }

  private fetchFailed(job: Job, url: string, err: unknown): void {
    const fields = { post_id: job.postId, host: hostOf(url), attachments: job.wanted.filter((w) => w.url === url).map((w) => `${w.index}.${w.kind}`) };
    this.options.count?.(refusedAddress(err) ? 'refused' : 'failed');
    if (err instanceof OutboundRefused) this.deps.logger.info({ ...fields, reason: err.reason }, 'attachment image refused');
    else if (err instanceof AppError) this.deps.logger.debug({ ...fields, reason: err.message }, 'attachment image not usable');
    else this.deps.logger.debug({ ...fields, reason: err instanceof Error ? err.message : String(err) }, 'attachment image fetch failed');
  }

  /** Whether the images were attached (false: the post is gone, or has its images already). */
  private async attach(job: Job, fetched: ReadonlyMap<string, StoredRemoteImage>): Promise<boolean> {
    const now = this.deps.clock();
    const rows: AttachmentImage[] = job.wanted.flatMap((w) => {
      const image = fetched.get(w.url);
      return image === undefined ? [] : [{ post_id: job.postId, attachment_index: w.index, kind: w.kind, image_key: image.key, width: image.width, height: image.height, created_at: now }];
    });
    const stored = [...new Set([...fetched.values()].map((f) => f.key))];
    let attached: boolean;
    try {
      attached = await this.deps.store.transaction(async (tx) => {
        const post = await tx.posts.get(job.postId);
        // Deleted while we fetched: nothing to attach to.
        if (post === undefined || post.deleted_at !== null) return false;
        if (!(await tx.attachmentImages.add(rows))) return false;
        await tx.channels.takeEventSeq(post.channel_id);
        tx.publish({ event: 'post_edited', data: { post: await this.view(post, tx) }, broadcast: { channel_id: post.channel_id } });
        return true;
      });
    } catch (err) {
      // Nothing names the stored images (the database refused): they must not stay behind.
      await this.files.removeLinkPreviewImages(stored);
      throw err;
    }
    if (!attached) {
      await this.files.removeLinkPreviewImages(stored);
      return false;
    }
    // A delete that committed between our read and our write found no rows to remove: finish it.
    const post = await this.deps.store.posts.get(job.postId);
    if (post === undefined || post.deleted_at !== null) await this.discard([job.postId]);
    return true;
  }

  /** Forgets the images of posts that are gone (after their delete committed). */
  async discard(postIds: readonly string[]): Promise<void> {
    await this.forget(await this.deps.store.attachmentImages.deleteForPosts(postIds));
  }

  /** Removes the objects of rows already deleted (in the caller's committed transaction). */
  async forget(rows: readonly AttachmentImage[]): Promise<void> {
    await this.files.removeLinkPreviewImages([...new Set(rows.map((r) => r.image_key))]);
  }

  /** One stored attachment image of a post, for someone who may read the post (404 otherwise, as for a post that does not exist). */
  async openImage(ctx: CallContext, postId: string, index: number, kind: AttachmentImageKind): Promise<{ object: StoredObject; etag: string }> {
    await this.access.post(ctx, postId);
    const row = (await this.deps.store.attachmentImages.forPosts([postId])).find((r) => r.attachment_index === index && r.kind === kind);
    if (row === undefined) throw notFound('Image');
    return { object: await this.files.openLinkPreviewImage(row.image_key, 'Image'), etag: `"${row.image_key.split('/').pop()!}"` };
  }

  /** Resolves once nothing is queued or running in the shared queue (tests: "the fetches are over"). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Stops the shared queue (link previews' too). */
  close(): Promise<void> {
    return this.queue.close();
  }
}
