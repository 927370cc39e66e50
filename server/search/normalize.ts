// Text as search compares it: lower case, no accents ("Église" and "eglise" match), ligatures
// spelled out, whitespace collapsed. Stored beside names and posts, applied to queries.
const LIGATURES: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss', ø: 'o', ł: 'l', đ: 'd' };

/** The searchable form of a text. */
export function normalizeForSearch(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[œæßøłđ]/g, (c) => LIGATURES[c])
    .replace(/\s+/g, ' ')
    .trim();
}

/** The words of a query (letters and digits only), for full-text matching. At most 8. */
export function searchTerms(query: string): string[] {
  return normalizeForSearch(query)
    .split(/[^\p{L}\p{N}_]+/u)
    .filter((w) => w.length > 0)
    .slice(0, 8);
}

/** Escapes LIKE wildcards, for `… like ? escape '\\'`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
