// Our domain rows as ActivityStreams objects (the only place that knows both vocabularies on the
// way out). Addressing follows the audience (decision 0017): public → to Public, cc followers;
// friends → to each friend named; private → never built.
import { Temporal } from '@js-temporal/polyfill';
import { Document, Hashtag, Mention, Note, PUBLIC_COLLECTION } from '@fedify/vocab';
import type { CommentRow, ImageRow, PostRow } from '../posts/repository.ts';

export interface NoteAuthor {
  uri: URL;
  followers: URL | null;
}

export interface Mentioned {
  uri: URL;
  handle: string;
}

/** Our HTML links to our own pages with relative addresses; other servers need them whole. */
export function absoluteHtml(html: string, origin: string): string {
  return html.replace(/(href|src)="\/(?!\/)/g, `$1="${origin}/`);
}

// Fedify runs on the same polyfill; only its types name the global Temporal (Node has none yet).
type GlobalInstant = NonNullable<ConstructorParameters<typeof Note>[0]['published']>;
const instant = (d: Date) => Temporal.Instant.fromEpochMilliseconds(d.getTime()) as unknown as GlobalInstant;

/** Who a post or comment is addressed to, from its audience. */
export function addressing(audience: PostRow['audience'], author: NoteAuthor, friends: URL[], mentioned: URL[]): { to: URL[]; cc: URL[] } {
  if (audience === 'public') return { to: [PUBLIC_COLLECTION], cc: [...(author.followers ? [author.followers] : []), ...mentioned] };
  // Friends only: each friend named; never the followers collection, which a receiving server
  // would expand to whoever it thinks follows the author.
  return { to: [...friends], cc: [] };
}

/** Who a post or comment in a group is addressed to: the group (and the public, for a public post); never its members by name. */
export function groupAddressing(group: URL, audience: PostRow['audience']): { to: URL[]; cc: URL[] } {
  return audience === 'public' ? { to: [PUBLIC_COLLECTION], cc: [group] } : { to: [group], cc: [] };
}

export function postNote(
  origin: string,
  post: PostRow,
  author: NoteAuthor,
  opts: { to: URL[]; cc: URL[]; images: ImageRow[]; mentions: Mentioned[]; hashtags: string[] },
): Note {
  const id = new URL(`/posts/${post.id}`, origin);
  return new Note({
    id,
    url: id,
    attribution: author.uri,
    content: absoluteHtml(post.html, origin),
    mediaType: 'text/html',
    published: instant(post.createdAt),
    updated: post.editedAt ? instant(post.editedAt) : null,
    tos: opts.to,
    ccs: opts.cc,
    attachments: opts.images.map(
      (i) => new Document({ url: new URL(`/media/${i.mediaKey}`, origin), mediaType: 'image/webp', name: i.alt || null, width: i.width, height: i.height }),
    ),
    tags: [
      ...opts.mentions.map((m) => new Mention({ href: m.uri, name: m.handle })),
      ...opts.hashtags.map((t) => new Hashtag({ href: new URL(`/tags/${encodeURIComponent(t)}`, origin), name: `#${t}` })),
    ],
  });
}

export function commentNote(origin: string, comment: CommentRow, author: NoteAuthor, inReplyTo: URL, opts: { to: URL[]; cc: URL[] }): Note {
  const id = new URL(`/posts/${comment.id}`, origin);
  return new Note({
    id,
    url: id,
    attribution: author.uri,
    content: absoluteHtml(comment.html, origin),
    mediaType: 'text/html',
    published: instant(comment.createdAt),
    updated: comment.editedAt ? instant(comment.editedAt) : null,
    replyTarget: inReplyTo,
    tos: opts.to,
    ccs: opts.cc,
  });
}
