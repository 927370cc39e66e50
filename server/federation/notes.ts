// A Note (or Article, Page) of another server read into our terms: cleaned HTML and text, the
// audience its addressing means, the people of ours it mentions, its hashtags and pictures, what
// it answers. The author must be the sender (FEP-fe34: an object's owner is its attributedTo),
// and its id on the sender's server.
import { Document, Hashtag, Image, Mention, PUBLIC_COLLECTION, type Object as ApObject } from '@fedify/vocab';
import type { InboxContext } from '@fedify/fedify';
import type { RemoteActors, ResolvedActor } from './actors.ts';
import { remoteLine, remoteText, remoteUrl, sanitizeRemoteHtml } from './content.ts';
import type { RemoteText } from '../posts/remote.ts';
import { escapeHtml } from '../html.ts';

export interface ReadNote {
  text: RemoteText;
  /** null: addressed to nobody we keep posts for (a direct message, a group we do not know). */
  audience: 'public' | 'friends' | null;
  inReplyTo: URL | null;
  /** Addressed to the public (in `to` or `cc`). */
  isPublic: boolean;
  /** Every address in `to`, `cc` and `audience` (a group it is posted in is one of them). */
  addressed: string[];
  hashtags: string[];
  images: { url: string; alt: string }[];
}

const toDate = (t: { epochMilliseconds: number } | null | undefined) => (t ? new Date(t.epochMilliseconds) : null);

export async function readNote(object: ApObject, from: ResolvedActor, actors: RemoteActors, ctx: InboxContext<null>): Promise<ReadNote | null> {
  const id = object.id;
  if (!id || id.origin !== new URL(from.remote.uri).origin) return null;
  const authors = object.attributionIds.map((u) => u.href);
  if (!authors.includes(from.remote.uri)) return null;
  const to = [...object.toIds, ...object.ccIds].map((u) => u.href);
  const isPublic = to.some((u) => u === PUBLIC_COLLECTION.href || u === 'as:Public' || u === 'Public');
  const toFollowers = from.remote.followers !== null && to.includes(from.remote.followers);
  const toLocal = to.some((u) => actors.isLocal(u));
  const mentionIds: string[] = [];
  const hashtags: string[] = [];
  for await (const tag of object.getTags()) {
    if (tag instanceof Mention && tag.href) {
      const parsed = ctx.parseUri(tag.href);
      if (parsed?.type === 'actor') mentionIds.push(parsed.identifier);
      else {
        const known = await actors.byUri(tag.href.href);
        if (known?.kind === 'person') mentionIds.push(known.id);
      }
    } else if (tag instanceof Hashtag && tag.name) {
      const name = remoteLine(tag.name.toString().replace(/^#/, ''), 50).toLowerCase();
      if (name) hashtags.push(name);
    }
  }
  const images: { url: string; alt: string }[] = [];
  for await (const a of object.getAttachments()) {
    if (!(a instanceof Document || a instanceof Image)) continue;
    if (a.mediaType && !a.mediaType.startsWith('image/')) continue;
    const url = remoteUrl(a.url instanceof URL ? a.url : null);
    if (url) images.push({ url: url.href, alt: remoteLine(a.name?.toString() ?? '', 500) });
  }
  const content = object.content?.toString() ?? '';
  const name = object.name?.toString() ?? '';
  const html = sanitizeRemoteHtml(name && !content.includes(name) ? `<p><strong>${escapeHtml(remoteLine(name, 200))}</strong></p>${content}` : content);
  const page = remoteUrl(object.url instanceof URL ? object.url : null);
  return {
    text: {
      uri: id.href,
      url: page?.href ?? null,
      html,
      text: remoteText(html, 5000),
      createdAt: toDate(object.published) ?? new Date(),
      editedAt: toDate(object.updated),
      mentionIds: [...new Set(mentionIds)].slice(0, 20),
    },
    audience: isPublic ? 'public' : toFollowers || toLocal ? 'friends' : null,
    inReplyTo: object.replyTargetId ?? null,
    isPublic,
    addressed: [...new Set([...to, ...object.audienceIds.map((u) => u.href)])],
    hashtags: [...new Set(hashtags)].slice(0, 20),
    images: images.slice(0, 4),
  };
}
