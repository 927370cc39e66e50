import { describe, expect, it } from 'vitest';
import { csvTable } from './csv.ts';

describe('csvTable', () => {
  it('quotes every cell, doubles quotes, ends lines with CRLF and starts with a BOM', () => {
    expect(csvTable(['a', 'b'], [['Dupont, "Jo"', 'ligne\nsuivante']])).toBe('\uFEFFa,b\r\n"Dupont, ""Jo""","ligne\nsuivante"\r\n');
  });

  it('never lets a cell become a spreadsheet formula', () => {
    const out = csvTable(['x'], [['=HYPERLINK("http://evil")'], ['+33 6 12'], ['-1'], ['@SUM(A1)'], ['\tx']]);
    expect(out).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(out).toContain(`"'+33 6 12"`);
    expect(out).toContain(`"'-1"`);
    expect(out).toContain(`"'@SUM(A1)"`);
    expect(out).toContain(`"'\tx"`);
  });

  it('writes dates as ISO 8601 and nothing for null', () => {
    expect(csvTable(['d', 'n'], [[new Date('2026-11-22T08:00:00Z'), null]])).toContain('"2026-11-22T08:00:00.000Z",""');
  });
});
