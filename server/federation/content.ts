// Text and HTML that come from other servers. Every string of a remote document that we show goes
// through here: HTML through an allow-list sanitizer (no scripts, styles, frames, embeds, images;
// links http(s) only, opened without referrer), plain fields stripped of any markup and cut.
import sanitizeHtml from 'sanitize-html';

const REMOTE_HTML: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'strong', 'b', 'em', 'i', 's', 'del', 'u', 'a', 'span', 'ul', 'ol', 'li', 'blockquote', 'code', 'pre', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6'],
  allowedAttributes: { a: ['href', 'rel', 'target', 'class'], span: ['class'], ol: ['start'] },
  // Mastodon marks mentions and hashtags, and hides the middle of long links with these.
  allowedClasses: { a: ['mention', 'hashtag', 'u-url'], span: ['h-card', 'invisible', 'ellipsis'] },
  allowedSchemes: ['http', 'https'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  // Headings become paragraphs: a remote title must not look like our page's.
  transformTags: {
    h1: 'p',
    h2: 'p',
    h3: 'p',
    h4: 'p',
    h5: 'p',
    h6: 'p',
    b: 'strong',
    i: 'em',
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, rel: 'nofollow noopener noreferrer ugc', target: '_blank' } }),
  },
};

/** Remote HTML made safe to insert in our pages; at most `max` characters of input are read. */
export function sanitizeRemoteHtml(html: unknown, max = 100_000): string {
  if (typeof html !== 'string') return '';
  return sanitizeHtml(html.slice(0, max), REMOTE_HTML).trim();
}

/** Plain text of remote HTML or text: tags dropped, entities decoded, spaces folded, cut at `max`. */
export function remoteText(value: unknown, max: number): string {
  if (typeof value !== 'string') return '';
  const withBreaks = value.slice(0, max * 4).replace(/<\s*br\s*\/?>/gi, '\n').replace(/<\/\s*(p|div|li|blockquote)\s*>/gi, '\n');
  const text = sanitizeHtml(withBreaks, { allowedTags: [], allowedAttributes: {} })
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return text.slice(0, max);
}

/** A single line of plain text (names, titles). */
export function remoteLine(value: unknown, max: number): string {
  return remoteText(value, max * 2).replace(/\s+/g, ' ').trim().slice(0, max);
}

/** An http(s) URL from a remote document, or null. */
export function remoteUrl(value: unknown): URL | null {
  const v = value instanceof URL ? value.href : typeof value === 'string' ? value : null;
  if (!v || v.length > 2048) return null;
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u : null;
  } catch {
    return null;
  }
}
