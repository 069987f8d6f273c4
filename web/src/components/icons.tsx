/**
 * Interface icons as inline SVG (no icon font, no emoji font needed: the machine showing the
 * client may have neither). Decorative: the button around each one carries the label.
 */
import type { ReactNode } from 'react';

function Svg({ children }: { readonly children: ReactNode }) {
  return (
    <svg className="svg-icon" viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      {children}
    </svg>
  );
}

export const SmileIcon = () => <Svg><circle cx="12" cy="12" r="9" /><path d="M8 14c1 1.5 2.4 2.2 4 2.2s3-.7 4-2.2" /><path d="M9 9.5h.01M15 9.5h.01" /></Svg>;
export const ReplyIcon = () => <Svg><path d="M10 8 5 12l5 4" /><path d="M5 12h9a5 5 0 0 1 5 5v1" /></Svg>;
export const PinIcon = () => <Svg><path d="M9 4h6l-1 6 3 3H7l3-3z" /><path d="M12 13v7" /></Svg>;
export const EditIcon = () => <Svg><path d="M4 20h4L19 9l-4-4L4 16z" /><path d="m13.5 6.5 4 4" /></Svg>;
export const TrashIcon = () => <Svg><path d="M4 7h16" /><path d="M9 7V4h6v3" /><path d="M6 7l1 13h10l1-13" /></Svg>;
export const PlusIcon = () => <Svg><path d="M12 5v14M5 12h14" /></Svg>;
export const ListIcon = () => <Svg><path d="M8 6h12M8 12h12M8 18h12M4 6h.01M4 12h.01M4 18h.01" /></Svg>;
export const LockIcon = () => <Svg><rect x="5" y="11" width="14" height="9" rx="2" /><path d="M8 11V8a4 4 0 0 1 8 0v3" /></Svg>;
export const UsersIcon = () => <Svg><circle cx="9" cy="9" r="3" /><path d="M3 19c0-3 2.7-5 6-5s6 2 6 5" /><path d="M16 6a3 3 0 0 1 0 6M18 14c2 .6 3 2.4 3 5" /></Svg>;
export const CloseIcon = () => <Svg><path d="M6 6l12 12M18 6 6 18" /></Svg>;
export const JoinIcon = () => <Svg><path d="M10 17l5-5-5-5" /><path d="M15 12H3" /><path d="M15 4h4a1 1 0 0 1 1 1v14a1 1 0 0 1-1 1h-4" /></Svg>;
export const PaperclipIcon = () => <Svg><path d="m20 11.5-8.2 8.2a5 5 0 0 1-7.1-7.1l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4l7.8-7.8" /></Svg>;
export const DownloadIcon = () => <Svg><path d="M12 4v11" /><path d="m7 10 5 5 5-5" /><path d="M5 20h14" /></Svg>;
export const BookmarkIcon = () => <Svg><path d="M7 4h10v16l-5-4-5 4z" /></Svg>;
export const SearchIcon = () => <Svg><circle cx="11" cy="11" r="6" /><path d="m20 20-4.5-4.5" /></Svg>;
export const FilesIcon = () => <Svg><path d="M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z" /><path d="M14 3v5h5" /></Svg>;

/** A file's icon by its kind (lib/files.ts fileKind): a page with a mark of what it holds. */
export function FileKindIcon({ kind }: { readonly kind: string }) {
  const page = <><path d="M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z" /><path d="M14 3v5h5" /></>;
  switch (kind) {
    case 'image':
      return <Svg>{page}<circle cx="10" cy="12" r="1.5" /><path d="m8 18 3-3 2 2 2-2 2 3" /></Svg>;
    case 'video':
      return <Svg>{page}<path d="m10 11 5 3-5 3z" /></Svg>;
    case 'audio':
      return <Svg>{page}<path d="M11 17v-6l4-1v6" /><circle cx="10" cy="17" r="1" /><circle cx="14" cy="16" r="1" /></Svg>;
    case 'archive':
      return <Svg>{page}<path d="M11 7h1M11 10h1M11 13h1M10.5 16h2v2h-2z" /></Svg>;
    case 'code':
      return <Svg>{page}<path d="m10 12-2 2 2 2M14 12l2 2-2 2" /></Svg>;
    case 'spreadsheet':
      return <Svg>{page}<path d="M8 12h8M8 15h8M8 18h8M12 12v6" /></Svg>;
    case 'pdf':
    case 'document':
    case 'presentation':
    case 'text':
      return <Svg>{page}<path d="M8 13h8M8 16h8M8 19h5" /></Svg>;
    default:
      return <Svg>{page}</Svg>;
  }
}
