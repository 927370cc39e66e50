// Names of documents sent in chat: shown to people, never used as a path.
import { describe, expect, it } from 'vitest';
import { cleanFileName } from './service.ts';

describe('document names', () => {
  it('keep the name, drop folders and control characters, end in .pdf', () => {
    expect(cleanFileName('Tract samedi.pdf')).toBe('Tract samedi.pdf');
    expect(cleanFileName('../../etc/passwd')).toBe('passwd.pdf');
    expect(cleanFileName('C:\\Users\\x\\affiche.PDF')).toBe('affiche.pdf');
    expect(cleanFileName('a\u0000b\u001fc.pdf')).toBe('abc.pdf');
    expect(cleanFileName('')).toBe('document.pdf');
    expect(cleanFileName(`${'x'.repeat(300)}.pdf`).length).toBeLessThanOrEqual(124);
  });
});
