import { describe, expect, it } from 'vitest';
import { escapeLike, normalizeForSearch, searchTerms } from './normalize.ts';

describe('search normalisation', () => {
  it('matches French words with or without accents, cases and ligatures', () => {
    expect(normalizeForSearch('Église Saint-Étienne')).toBe('eglise saint-etienne');
    expect(normalizeForSearch('Cœur  ÇA   va')).toBe('coeur ca va');
    expect(normalizeForSearch('ÉGLISE')).toBe(normalizeForSearch('eglise'));
  });

  it('keeps only words in queries, without operators', () => {
    expect(searchTerms('"église" OR -tract* (loyers)')).toEqual(['eglise', 'or', 'tract', 'loyers']);
    expect(searchTerms('a b c d e f g h i j')).toHaveLength(8);
    expect(searchTerms('  *** ')).toEqual([]);
  });

  it('escapes LIKE wildcards', () => {
    expect(escapeLike('100%_a\\b')).toBe('100\\%\\_a\\\\b');
  });
});
