/** One message: author, time, text (Markdown, mentions highlighted), files, reactions, and its actions. */
import { createElement, memo, useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent as ReactMouseEvent, type ReactNode } from 'react';
import { describeError } from '../lib/api.js';
import { QUICK_REACTIONS, emojiChar, noteEmojiUsed } from '../lib/emoji.js';
import { Emoji, EmojiPicker, useEmojiVersion } from './Emoji.js';
import { formatClock } from '../lib/format.js';
import { loadHighlighter, loadedHighlighter, renderMarkdown, wantsHighlighter, type Highlighter, type MdNode } from '../lib/markdown.js';
import { parseRoute } from '../lib/route.js';
import { navigate, useRoute } from '../navigation.js';
import type { Post, User } from '../lib/types.js';
import { useChat, useChatActions, type Outgoing } from '../state/chat.js';
import type { ChatState } from '../state/reducer.js';
import { userLabel } from '../state/reducer.js';
import { Avatar } from './bits.js';
import { CustomStatus } from './CustomStatus.js';
import { BookmarkIcon, EditIcon, PinIcon, ReplyIcon, SmileIcon, TrashIcon } from './icons.js';
import { ConfirmDialog } from './Dialog.js';
import { PostFiles } from './Files.js';
import { formatSize, previewImageSrc } from '../lib/files.js';
import { formatDate, t } from '../i18n/index.js';
import { authorMark, normalizeAttachments, type Attachment, type AttachmentPicture, type EphemeralPost, type StoredAttachmentImage } from '../lib/integrations.js';

/**
 * The mark beside a post's author: a webhook's post (its display name, when the admin allows
 * one, beside the mark and never instead of the author) or a bot's. Nobody can pass a
 * webhook's post off as a person's.
 */
export function AuthorMark({ post, author }: { readonly post: Pick<Post, 'props'>; readonly author: User | undefined }) {
  const mark = authorMark(post, author);
  if (mark.kind === undefined) return null;
  return (
    <>
      <span className={`author-mark ${mark.kind}`} title={mark.kind === 'webhook' ? t('post.webhookMarkTitle') : t('post.botMarkTitle')}>
        {mark.kind === 'webhook' ? t('post.webhookMark') : t('post.botMark')}
      </span>
      {mark.override !== undefined && <bdi className="override-name" title={t('post.overrideNameTitle')}>{mark.override}</bdi>}
    </>
  );
}

/** An http(s) link that opens in a new tab and tells the other site nothing. */
function ExternalLink({ href, children }: { readonly href: string; readonly children: ReactNode }) {
  return <a href={href} target="_blank" rel="noopener noreferrer nofollow">{children}</a>;
}

/**
 * Slack message attachments (from a webhook or a command): colour bar, pretext, author, title
 * (a link when it has a safe one), text and fields through the Markdown renderer, footer.
 * Images come from the server's stored copies (`images`: the post's `attachment_images`, same
 * origin): the thumbnail beside the text, the image under it, each a link to the original.
 * A remote image is never loaded (the Content-Security-Policy allows only this site's): an
 * image the server has not stored is shown as its link.
 */
export function PostAttachments({ props, images = NO_IMAGES, me }: { readonly props: Readonly<Record<string, unknown>>; readonly images?: readonly StoredAttachmentImage[]; readonly me: string }) {
  const attachments = useMemo(() => normalizeAttachments(props, images), [props, images]);
  if (attachments.length === 0) return null;
  return (
    <div className="attachments">
      {attachments.map((a, i) => <AttachmentCard key={i} a={a} me={me} />)}
    </div>
  );
}

const NO_IMAGES: readonly StoredAttachmentImage[] = [];

/** A stored attachment image, sized before it loads, a link to the original when there is one. */
function AttachmentImage({ picture, href, alt, className }: { readonly picture: AttachmentPicture; readonly href: string | undefined; readonly alt: string; readonly className: string }) {
  const img = <img className={className} src={picture.src} alt={alt} width={picture.width} height={picture.height} loading="lazy" decoding="async" />;
  return href !== undefined ? <ExternalLink href={href}>{img}</ExternalLink> : img;
}

function AttachmentCard({ a, me }: { readonly a: Attachment; readonly me: string }) {
  const name = a.title ?? a.fallback;
  const imageAlt = name !== undefined ? t('post.attachmentImageAlt', { title: name }) : t('post.attachmentImageAltUntitled');
  const thumbAlt = name !== undefined ? t('post.attachmentThumbAlt', { title: name }) : t('post.attachmentThumbAltUntitled');
  // Links remain for the images the server has no copy of.
  const imageLink = a.image === undefined ? a.imageUrl : undefined;
  const thumbLink = a.thumb === undefined ? a.thumbUrl : undefined;
  return (
    <div className="attachment" role="group" aria-label={t('post.attachmentLabel', { title: a.title ?? a.fallback ?? '' })} style={a.color !== undefined ? { borderInlineStartColor: a.color } : undefined}>
      {a.thumb !== undefined && <AttachmentImage picture={a.thumb} href={a.thumbUrl} alt={thumbAlt} className="attachment-thumb" />}
      {a.pretext !== undefined && <MessageText message={a.pretext} me={me} />}
      {a.authorName !== undefined && <p className="attachment-author">{a.authorLink !== undefined ? <ExternalLink href={a.authorLink}>{a.authorName}</ExternalLink> : a.authorName}</p>}
      {a.title !== undefined && <p className="attachment-title">{a.titleLink !== undefined ? <ExternalLink href={a.titleLink}>{a.title}</ExternalLink> : a.title}</p>}
      {a.text !== undefined && <MessageText message={a.text} me={me} />}
      {a.fields.length > 0 && (
        <dl className="attachment-fields">
          {a.fields.map((f, i) => (
            <div key={i} className={f.short ? 'short' : 'long'}>
              <dt>{f.title}</dt>
              <dd><MessageText message={f.value} me={me} /></dd>
            </div>
          ))}
        </dl>
      )}
      {a.image !== undefined && <AttachmentImage picture={a.image} href={a.imageUrl} alt={imageAlt} className="attachment-image" />}
      {(imageLink !== undefined || thumbLink !== undefined) && (
        <p className="attachment-images">
          {imageLink !== undefined && <ExternalLink href={imageLink}>{t('post.attachmentImage')}</ExternalLink>}
          {imageLink !== undefined && thumbLink !== undefined && ' '}
          {thumbLink !== undefined && <ExternalLink href={thumbLink}>{t('post.attachmentThumb')}</ExternalLink>}
        </p>
      )}
      {a.footer !== undefined && <p className="attachment-footer">{a.footer}</p>}
    </div>
  );
}

/** An answer only I see (a slash command's ephemeral reply): marked as such, kept until dismissed or reloaded. */
export function EphemeralItem({ post }: { readonly post: EphemeralPost }) {
  const { state, actions } = useChat();
  const when = new Date(post.created_at);
  return (
    <article className="post ephemeral" aria-label={t('post.ephemeralLabel', { time: formatClock(post.created_at) })} data-ephemeral-id={post.id}>
      <div className="post-gutter" aria-hidden="true"><span className="ephemeral-icon">/</span></div>
      <div className="post-body">
        <header className="post-header">
          <bdi className="author">{t('post.commandAnswer')}</bdi>
          <span className="ephemeral-mark">{t('post.onlyVisibleToYou')}</span>
          <time dateTime={when.toISOString()} title={formatDate(when, { dateStyle: 'full', timeStyle: 'short' })}>{formatClock(post.created_at)}</time>
          <button type="button" className="link ephemeral-dismiss" onClick={() => actions.dismissEphemeral(post.channel_id, post.id)}>{t('post.dismissEphemeral')}</button>
        </header>
        {post.message !== '' && <MessageText message={post.message} me={state.me.username} />}
        <PostAttachments props={post.props} me={state.me.username} />
      </div>
    </article>
  );
}

/**
 * A message's Markdown (lib/markdown.ts: elements, never HTML). A click on a link to a screen of
 * the app (a permalink, a ~channel, or a full URL of this site) navigates in place; other links
 * open in a new tab.
 */
export function MessageText({ message, me }: { readonly message: string; readonly me: string }) {
  const route = useRoute();
  const team = route.kind === 'app' ? route.team : undefined;
  const highlighter = useHighlighter(message);
  // The emoji set loads lazily and custom emoji come and go: render again when they change.
  const emojiVersion = useEmojiVersion();
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const content = useMemo(() => renderMarkdown(message, { me, team, highlighter }).map(toReact), [message, me, team, highlighter, emojiVersion]);
  return <div className="message-text markdown" dir="auto" onClick={followAppLink}>{content}</div>;
}

/** The code highlighter when the message has code to highlight: loaded on first need, then the text renders again. */
function useHighlighter(message: string): Highlighter | undefined {
  const wanted = wantsHighlighter(message);
  const [loaded, setLoaded] = useState(loadedHighlighter);
  useEffect(() => {
    if (!wanted || loaded !== undefined) return;
    let live = true;
    loadHighlighter().then((h) => live && setLoaded(h), () => undefined);
    return () => { live = false; };
  }, [wanted, loaded]);
  return wanted ? loaded : undefined;
}

/** The Markdown tree → React elements: its fixed tags and attributes; text stays text. */
function toReact(node: MdNode, key: number): ReactNode {
  if (typeof node === 'string') return node;
  // An emoji (standard or custom): the Emoji component draws it (a custom one as a same-origin image).
  const label = node.tag === 'span' && node.props?.className === 'emoji' ? node.props['aria-label'] : undefined;
  if (typeof label === 'string') return <Emoji key={key} name={label} fallback={`:${label}:`} />;
  // A code block scrolls sideways: focusable, so that the keyboard can scroll it too.
  const props = { ...node.props, key, ...(node.tag === 'pre' ? { tabIndex: 0 } : {}) };
  // Void elements (br, hr, input) must get no children at all, not even an empty list.
  return node.children.length === 0 ? createElement(node.tag, props) : createElement(node.tag, props, node.children.map(toReact));
}

function followAppLink(e: ReactMouseEvent<HTMLDivElement>) {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target instanceof Element ? e.target.closest('a') : null;
  if (a === null || !e.currentTarget.contains(a)) return;
  const url = new URL(a.href, window.location.href);
  if (url.origin !== window.location.origin) return;
  const route = parseRoute(url.pathname, url.search);
  if (route.kind !== 'app' || (route.channel === undefined && route.postId === undefined)) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
}

/** Quick reactions, then the full searchable picker. */
/** `onClose(true)` when closed from the keyboard (Escape): focus goes back to the button that opened it. */
function ReactionPicker({ onPick, onClose }: { readonly onPick: (emoji: string) => void; readonly onClose: (byKeyboard: boolean) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector('button')?.focus();
    const onDown = (e: MouseEvent) => {
      if (ref.current !== null && !ref.current.contains(e.target as Node)) onClose(false);
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [onClose]);
  return (
    <div ref={ref} className="reaction-picker" onKeyDown={(e) => e.key === 'Escape' && onClose(true)}>
      <div className="quick-reactions" role="group" aria-label={t('post.pickReaction')}>
        {QUICK_REACTIONS.map((name) => (
          <button key={name} type="button" className="icon" aria-label={t('post.reactWith', { emoji: name })} title={`:${name}:`} onClick={() => {
            noteEmojiUsed(name);
            onPick(name);
          }}>
            {emojiChar(name)}
          </button>
        ))}
      </div>
      <EmojiPicker label={t('post.pickReaction')} onPick={onPick} onClose={() => onClose(true)} autoFocus={false} />
    </div>
  );
}

/** Only http(s) links are followed from a preview card (the server sends no other, this checks again). */
function safeHref(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** A link preview under a message: site, title (the link), description, image; × for the author. */
export function LinkPreviewCard({ preview, canRemove, onRemove }: { readonly preview: NonNullable<Post['preview']>; readonly canRemove: boolean; readonly onRemove: () => void }) {
  const href = safeHref(preview.url);
  const src = previewImageSrc(preview.image?.url);
  let host = '';
  try {
    host = new URL(preview.url).host;
  } catch {
    host = '';
  }
  const title = preview.title ?? host;
  return (
    <div className="link-preview" role="group" aria-label={t('post.linkPreview', { title })}>
      <div className="link-preview-text">
        <span className="link-preview-site">{preview.site_name ?? host}</span>
        {href !== undefined ? <a className="link-preview-title" href={href} target="_blank" rel="noopener noreferrer nofollow">{title}</a> : <span className="link-preview-title">{title}</span>}
        {preview.description !== null && <p className="link-preview-description">{preview.description}</p>}
      </div>
      {src !== undefined && preview.image !== null && (
        <img className="link-preview-image" src={src} alt="" width={preview.image.width} height={preview.image.height} loading="lazy" decoding="async" />
      )}
      {canRemove && (
        <button type="button" className="icon link-preview-remove" aria-label={t('post.removePreview')} title={t('post.removePreviewTitle')} onClick={onRemove}>×</button>
      )}
    </div>
  );
}

interface PostItemProps {
  readonly post: Post;
  /** Same author as the previous message, a moment later: no repeated name. */
  readonly compact: boolean;
  /** Where it is shown: the channel (replies say so) or the thread panel. */
  readonly context: 'channel' | 'thread' | 'pinned';
  readonly onOpenThread?: (rootId: string) => void;
  /** Start editing this post (Up arrow in an empty composer). */
  readonly editRequested?: boolean;
  readonly onEditDone?: () => void;
  readonly me: User;
  /** Known people (authors, who reacted); changes only when someone new is fetched. */
  readonly users: ChatState['users'];
  /** The post's channel is archived: read only. */
  readonly archived: boolean;
  /** The thread's root, for a reply shown in the channel. */
  readonly root: Post | undefined;
  /** The message a permalink led to: highlighted for a moment, and focusable so it can take the keyboard focus. */
  readonly focused?: boolean;
}

/** The row's props from the state: values the reducer keeps (same object) while they do not change. */
export function rowProps(state: Pick<ChatState, 'me' | 'users' | 'channels' | 'posts'>, post: Post): Pick<PostItemProps, 'me' | 'users' | 'archived' | 'root'> {
  return {
    me: state.me,
    users: state.users,
    archived: state.channels[post.channel_id]?.is_archived === true,
    root: post.root_post_id !== null ? state.posts[post.root_post_id] : undefined,
  };
}

/**
 * One message. Memoized, and it reads no state context: it shows only its props, so a change
 * elsewhere (someone typing, a new message below) does not re-render it. Its callbacks must
 * therefore be stable (useCallback in the screens that pass them).
 */
export const PostItem = memo(function PostItem({ post, compact, context, onOpenThread, editRequested, onEditDone, me, users, archived, root, focused }: PostItemProps) {
  const { actions, api } = useChatActions();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(post.message);
  const [picking, setPicking] = useState(false);
  const reactButton = useRef<HTMLButtonElement>(null);
  const closePicker = useCallback((refocus: boolean) => {
    setPicking(false);
    if (refocus) reactButton.current?.focus();
  }, []);
  const [confirming, setConfirming] = useState(false);
  const author = users[post.user_id];
  const name = author !== undefined ? userLabel(author) : t('names.someone');
  const mine = post.user_id === me.id;

  // Up arrow in an empty composer asks the parent to edit this post.
  const isEditing = editing || (editRequested === true && mine);

  const fail = (err: unknown) => actions.notify(describeError(err));

  function save() {
    const text = draft.trim();
    // Only a post with files may lose all its text (as the server allows).
    if ((text === '' && post.files.length === 0) || text === post.message) {
      setEditing(false);
      onEditDone?.();
      return;
    }
    actions.editPost(post.id, text).then(() => {
      setEditing(false);
      onEditDone?.();
    }, fail);
  }

  function onEditKey(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      save();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      setEditing(false);
      onEditDone?.();
    }
  }

  const when = new Date(post.created_at);
  return (
    <article className={`post${compact ? ' compact' : ''}${post.is_pinned ? ' pinned' : ''}${focused === true ? ' focused' : ''}`} aria-label={t('post.label', { name, time: formatClock(post.created_at) })} data-post-id={post.id}
      tabIndex={focused === true ? -1 : undefined}>
      <div className="post-gutter">
        {compact ? <time dateTime={when.toISOString()} title={formatDate(when, { dateStyle: 'full', timeStyle: 'short' })} className="gutter-time">{formatClock(post.created_at)}</time> : <Avatar id={post.user_id} name={name} url={author?.avatar_url} />}
      </div>
      <div className="post-body">
        {!compact && (
          <header className="post-header">
            <bdi className="author">{name}</bdi><AuthorMark post={post} author={author} />{author !== undefined && <CustomStatus user={author} />}
            <time dateTime={when.toISOString()} title={formatDate(when, { dateStyle: 'full', timeStyle: 'short' })}>{formatClock(post.created_at)}</time>
          </header>
        )}
        {context === 'channel' && post.root_post_id !== null && (
          <p className="reply-ref">
            <button type="button" className="link" onClick={() => onOpenThread?.(post.root_post_id!)}>
              {root !== undefined ? t('post.repliedInThreadTo', { excerpt: `${root.message.slice(0, 60)}${root.message.length > 60 ? '…' : ''}` }) : t('post.repliedInThread')}
            </button>
          </p>
        )}
        {isEditing ? (
          <div className="edit-box">
            <label className="sr-only" htmlFor={`edit-${post.id}`}>{t('post.editLabel')}</label>
            <textarea id={`edit-${post.id}`} value={draft} onChange={(e) => setDraft(e.target.value)} onKeyDown={onEditKey} autoFocus rows={Math.min(8, draft.split('\n').length + 1)} />
            <div className="edit-actions">
              <span className="hint">{t('post.editHint')}</span>
              <button type="button" onClick={() => { setEditing(false); onEditDone?.(); }}>{t('common.cancel')}</button>
              <button type="button" className="primary" onClick={save}>{t('common.save')}</button>
            </div>
          </div>
        ) : (
          <>
            <MessageText message={post.message} me={me.username} />
            <PostAttachments props={post.props} images={post.attachment_images} me={me.username} />
            {(post.edited_at !== null || post.is_pinned) && (
              <p className="post-flags">
                {post.edited_at !== null && <span className="edited">{t('post.edited')}</span>}
                {post.is_pinned && <span className="pin-flag">{t('post.pinned')}</span>}
              </p>
            )}
          </>
        )}
        {!isEditing && post.preview !== null && (
          <LinkPreviewCard preview={post.preview} canRemove={mine && !archived} onRemove={() => void actions.removePreview(post.id).catch(fail)} />
        )}
        <PostFiles files={post.files} />
        {post.reactions.length > 0 && (
          <ul className="reactions" aria-label={t('post.reactions')}>
            {post.reactions.map((r) => {
              const reacted = r.users.includes(me.id);
              const who = r.users.map((id) => (id === me.id ? t('post.reactedYou') : users[id] ? userLabel(users[id]) : t('post.reactedSomeone'))).join(t('common.listSeparator'));
              return (
                <li key={r.emoji}>
                  <button type="button" className={reacted ? 'reaction mine' : 'reaction'} aria-pressed={reacted} disabled={archived}
                    aria-label={t(reacted ? 'post.reactionLabel' : 'post.reactionLabelAdd', { emoji: r.emoji, count: r.count, who })} title={t('post.reactionTitle', { emoji: r.emoji, who })}
                    onClick={() => void actions.react(post, r.emoji).catch(fail)}>
                    <span aria-hidden="true"><Emoji name={r.emoji} /></span> <span className="count">{r.count}</span>
                  </button>
                </li>
              );
            })}
          </ul>
        )}
        {context === 'channel' && post.root_post_id === null && post.reply_count > 0 && (
          <button type="button" className="link replies" onClick={() => onOpenThread?.(post.id)}>
            {post.participants.length > 0 && (
              <span className="participants" aria-hidden="true">
                {post.participants.slice(0, 3).map((id) => {
                  const u = users[id];
                  return <Avatar key={id} id={id} name={u !== undefined ? userLabel(u) : '?'} size={18} url={u?.avatar_url} />;
                })}
              </span>
            )}
            <span>{t('post.replies', { count: post.reply_count })}</span>
          </button>
        )}
      </div>
      {!isEditing && !archived && (
        <div className="post-actions" role="toolbar" aria-label={t('post.actions')}>
          <button ref={reactButton} type="button" className="icon" aria-label={t('post.addReaction')} aria-expanded={picking} onClick={() => setPicking((p) => !p)}><SmileIcon /></button>
          {context !== 'thread' && onOpenThread !== undefined && (
            <button type="button" className="icon" aria-label={t('post.replyInThread')} onClick={() => onOpenThread(post.root_post_id ?? post.id)}><ReplyIcon /></button>
          )}
          <button type="button" className="icon" aria-label={post.is_pinned ? t('post.unpin') : t('post.pin')} onClick={() => void actions.setPinned(post.id, !post.is_pinned).catch(fail)}><PinIcon /></button>
          <button type="button" className="icon" aria-label={t('post.save')} title={t('post.saveTitle')}
            onClick={() => void api.setSaved(post.id, true).then(() => actions.notify(t('post.saved')), fail)}><BookmarkIcon /></button>
          <button type="button" className="icon" aria-label={t('post.markUnread')} title={t('post.markUnreadTitle')}
            onClick={() => void actions.markUnread(post.id).catch(fail)}><span aria-hidden="true">◔</span></button>
          {mine && <button type="button" className="icon" aria-label={t('post.edit')} onClick={() => { setDraft(post.message); setEditing(true); }}><EditIcon /></button>}
          {mine && <button type="button" className="icon danger" aria-label={t('post.delete')} onClick={() => setConfirming(true)}><TrashIcon /></button>}
          {picking && (
            <ReactionPicker
              onClose={closePicker}
              onPick={(emoji) => {
                closePicker(true);
                const has = post.reactions.some((r) => r.emoji === emoji && r.users.includes(me.id));
                if (!has) actions.react(post, emoji).catch(fail);
              }}
            />
          )}
        </div>
      )}
      {confirming && (
        <ConfirmDialog
          title={t('post.deleteTitle')}
          message={post.root_post_id === null && post.reply_count > 0 ? t('post.deleteWithReplies') : t('post.deleteOne')}
          confirmLabel={t('post.deleteConfirm')}
          danger
          onConfirm={() => actions.deletePost(post.id)}
          onClose={() => setConfirming(false)}
        />
      )}
    </article>
  );
});

/** A message still on its way (or that failed, with Retry). */
export function OutgoingItem({ item }: { readonly item: Outgoing }) {
  const { state, actions } = useChat();
  return (
    <article className={`post outgoing ${item.status}`} aria-label={item.status === 'sending' ? t('post.sendingLabel') : t('post.notSentLabel')}>
      <div className="post-gutter"><Avatar id={state.me.id} name={userLabel(state.me)} url={state.me.avatar_url} /></div>
      <div className="post-body">
        <header className="post-header">
          <bdi className="author">{userLabel(state.me)}</bdi>
          <span className="muted">{item.status === 'sending' ? t('post.sending') : t('post.notSent')}</span>
        </header>
        <MessageText message={item.message} me={state.me.username} />
        {item.files !== undefined && item.files.length > 0 && (
          <ul className="outgoing-files" aria-label={t('post.attachedFiles')}>
            {item.files.map((f) => <li key={f.id}>{f.name} <span className="muted">({formatSize(f.size)})</span></li>)}
          </ul>
        )}
        {item.status === 'failed' && (
          <p className="error" role="alert">
            {item.error ?? t('post.notSentError')}{' '}
            <button type="button" className="link" onClick={() => void actions.retryPost(item.clientMsgId)}>{t('post.retry')}</button>{' '}
            <button type="button" className="link" onClick={() => actions.discardPost(item.clientMsgId)}>{t('post.discard')}</button>
          </p>
        )}
      </div>
    </article>
  );
}
