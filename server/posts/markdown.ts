// Members' text (posts, comments, group descriptions) to safe HTML: a small Markdown subset —
// bold, italic, strike, lists, quotes, code, links — with @mentions and #hashtags. Raw HTML is
// never rendered (it shows as text), links are absolute http(s) or mailto only, and the result
// goes through an allow-list sanitizer as a second defence.
import MarkdownIt from 'markdown-it';
import type { StateCore, Token } from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

export const MAX_SOURCE_LENGTH = 5000;
const MAX_TAG_LENGTH = 50;

export interface RenderedText {
  /** Sanitised HTML, safe to insert in our pages. */
  html: string;
  /** Plain text: for search, excerpts, mails. */
  text: string;
  /** Lower-cased usernames mentioned (`name`, or `name@host` for other servers), in order. */
  mentions: string[];
  /** Normalised hashtags, in order. */
  hashtags: string[];
  /** Absolute http(s) URLs linked. */
  links: string[];
}

export interface RenderOptions {
  /** The profile URL of a mentioned member, or null (then the mention stays plain text). */
  resolveMention?: (username: string) => string | null;
  /** Where hashtags link to (the normalised tag is appended). */
  hashtagBase?: string;
}

const md = new MarkdownIt('default', { html: false, linkify: true, typographer: false, breaks: true });
// No images (pictures are attachments), headings, tables, rules or reference definitions.
md.disable(['image', 'heading', 'lheading', 'table', 'hr', 'reference']);
// Only absolute web and mail links; anything else (javascript:, data:, relative…) stays text.
md.validateLink = (url: string) => /^(https?:\/\/|mailto:)/i.test(url.trim());

const MENTION = /@([A-Za-z0-9_]{3,30})(?:@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d{1,5})?))?/y;
const HASHTAG = /#([\p{L}\p{N}_]+)/uy;
const WORD_CHAR = /[\p{L}\p{N}_]/u;

/** A hashtag as stored and linked: lower case, no accents, letters, digits and _ only. */
export function normaliseTag(tag: string): string {
  return tag
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\p{L}\p{N}_]/gu, '')
    .slice(0, MAX_TAG_LENGTH);
}

interface Found {
  mentions: string[];
  hashtags: string[];
  links: string[];
}

/** What one rendering carries through markdown-it (its `env`). */
interface RenderEnv {
  options: RenderOptions;
  found: Found;
}

function textToken(state: StateCore, content: string): Token {
  const t = new state.Token('text', '', 0);
  t.content = content;
  return t;
}

function linkTokens(state: StateCore, href: string, cls: string, text: string): Token[] {
  const open = new state.Token('link_open', 'a', 1);
  open.attrs = [
    ['href', href],
    ['class', cls],
  ];
  const close = new state.Token('link_close', 'a', -1);
  return [open, textToken(state, text), close];
}

/**
 * Splits a text token into text, mention and hashtag tokens. A mention or hashtag starts after
 * the start of the text or a character that cannot belong to a word, an address or an entity.
 */
function splitText(state: StateCore, content: string, opts: RenderOptions, found: Found): Token[] {
  const out: Token[] = [];
  let plain = '';
  let i = 0;
  const flush = () => {
    if (plain) out.push(textToken(state, plain));
    plain = '';
  };
  while (i < content.length) {
    const c = content[i];
    const prev = i > 0 ? content[i - 1] : '';
    const boundary = !prev || !(WORD_CHAR.test(prev) || prev === '@' || prev === '&' || prev === '#' || prev === '/' || prev === '.');
    if (c === '@' && boundary) {
      MENTION.lastIndex = i;
      const m = MENTION.exec(content);
      if (m && !(WORD_CHAR.test(content[i + m[0].length] ?? '') || content[i + m[0].length] === '@')) {
        const name = m[1].toLowerCase();
        if (m[2]) {
          const full = `${name}@${m[2].toLowerCase()}`;
          found.mentions.push(full);
          // Someone of another server: linked when we know them (their page here).
          const href = opts.resolveMention?.(full) ?? null;
          if (href) {
            flush();
            out.push(...linkTokens(state, href, 'mention', m[0]));
          } else plain += m[0];
        } else {
          found.mentions.push(name);
          const href = opts.resolveMention?.(name) ?? null;
          if (href) {
            flush();
            out.push(...linkTokens(state, href, 'mention', `@${m[1]}`));
          } else plain += m[0];
        }
        i += m[0].length;
        continue;
      }
    }
    if (c === '#' && boundary) {
      HASHTAG.lastIndex = i;
      const m = HASHTAG.exec(content);
      if (m && /\p{L}/u.test(m[1]) && m[1].length <= MAX_TAG_LENGTH) {
        const tag = normaliseTag(m[1]);
        found.hashtags.push(tag);
        flush();
        out.push(...linkTokens(state, `${opts.hashtagBase ?? '/tags/'}${encodeURIComponent(tag)}`, 'hashtag', m[0]));
        i += m[0].length;
        continue;
      }
    }
    plain += c;
    i++;
  }
  flush();
  return out;
}

// Mentions and hashtags, in text outside links and code (code spans and blocks are other tokens).
md.core.ruler.after('linkify', 'mentions_hashtags', (state) => {
  const { options, found } = state.env as unknown as RenderEnv;
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue;
    const children: Token[] = [];
    let depth = 0;
    for (const t of block.children) {
      if (t.type === 'link_open') {
        depth++;
        const href = String(t.attrGet('href') ?? '');
        if (/^https?:\/\//i.test(href)) found.links.push(href);
      } else if (t.type === 'link_close') depth--;
      if (t.type === 'text' && depth === 0) children.push(...splitText(state, t.content, options, found));
      else children.push(t);
    }
    block.children = children;
  }
});

// Renderer: external links open in a new tab and carry no referrer or endorsement.
const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const href = String(tokens[idx].attrGet('href') ?? '');
  if (!href.startsWith('/')) {
    tokens[idx].attrSet('rel', 'nofollow noopener noreferrer ugc');
    tokens[idx].attrSet('target', '_blank');
  }
  return defaultLinkOpen(tokens, idx, options, env, self);
};

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'strong', 'em', 's', 'del', 'a', 'ul', 'ol', 'li', 'blockquote', 'code', 'pre'],
  allowedAttributes: { a: ['href', 'rel', 'target', 'class'], ol: ['start'] },
  allowedClasses: { a: ['mention', 'hashtag'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'escape',
};

/** Plain text of the rendered tokens: paragraphs and breaks become newlines. */
function plainText(tokens: Token[]): string {
  const parts: string[] = [];
  for (const t of tokens) {
    if (t.type === 'inline') {
      for (const c of t.children ?? []) {
        if (c.type === 'text' || c.type === 'code_inline') parts.push(c.content);
        else if (c.type === 'softbreak' || c.type === 'hardbreak') parts.push('\n');
      }
    } else if (t.type === 'fence' || t.type === 'code_block') parts.push(t.content);
    else if (t.type === 'paragraph_close' || t.type === 'list_item_close' || t.type === 'blockquote_close') parts.push('\n');
  }
  return parts
    .join('')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n{2,}/g, '\n')
    .trim();
}

/** Renders a member's Markdown to sanitised HTML, with its text, mentions, hashtags and links. */
export function renderMarkdown(source: string, options: RenderOptions = {}): RenderedText {
  const env: RenderEnv = { options, found: { mentions: [], hashtags: [], links: [] } };
  const tokens = md.parse(source.slice(0, MAX_SOURCE_LENGTH * 2), env as unknown as Record<string, unknown>);
  const html = sanitizeHtml(md.renderer.render(tokens, md.options, env as unknown as Record<string, unknown>), SANITIZE).trim();
  const unique = (list: string[]) => [...new Set(list)];
  const { found } = env;
  return { html, text: plainText(tokens), mentions: unique(found.mentions), hashtags: unique(found.hashtags), links: unique(found.links) };
}
