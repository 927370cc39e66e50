import { describe, expect, it } from 'vitest';
import { formatBlocklist, parseBlocklist } from './blocklist.ts';
import { normalizeHost } from './policy.ts';

const parse = (text: string) => parseBlocklist(text, normalizeHost);

describe('parseBlocklist', () => {
  it('reads Mastodon’s CSV: quoted cells, doubled quotes, line breaks in a comment, CRLF', () => {
    const text = '#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\r\n"a.example","silence","TRUE","false","He said ""no""\r\ntwice","false"\r\nb.example,noop,1,0,,\r\n';
    expect(parse(text)).toEqual([
      { line: 2, host: 'a.example', severity: 'silence', rejectMedia: true, rejectReports: false, comment: 'He said "no" twice' },
      { line: 4, host: 'b.example', severity: 'noop', rejectMedia: true, rejectReports: false, comment: '' },
    ]);
  });

  it('finds columns by name, with or without "#", and defaults a missing severity to suspend', () => {
    expect(parse('severity,domain\nsilence,a.example\n,b.example')).toMatchObject([
      { host: 'a.example', severity: 'silence' },
      { host: 'b.example', severity: 'suspend' },
    ]);
  });

  it('refuses a quote inside an unquoted cell or text after a closing quote', () => {
    expect(() => parse('#domain,#severity\na"b.example,suspend')).toThrow(expect.objectContaining({ messageKey: 'federation_admin.import_bad_quote', params: { line: 2 } }));
    expect(() => parse('#domain,#severity\n"a.example"x,suspend')).toThrow(expect.objectContaining({ params: { line: 2 } }));
  });

  it('shortens long comments and bad values shown in messages', () => {
    const [entry] = parse(`#domain,#public_comment\na.example,"${'x'.repeat(600)}"`);
    expect(entry.comment).toHaveLength(500);
    expect(() => parse(`#domain\n${'y'.repeat(100)} z`)).toThrow(expect.objectContaining({ params: { line: 2, value: `${'y'.repeat(60)}…` } }));
  });
});

describe('formatBlocklist', () => {
  it('lists restrictions only, formula-safe, without a byte-order mark', () => {
    const csv = formatBlocklist([
      { host: 'a.example', action: 'block', rejectMedia: false, rejectReports: false, note: '=HYPERLINK("x")' },
      { host: 'b.example', action: 'allow', rejectMedia: false, rejectReports: false, note: '' },
      { host: 'c.example', action: 'allow', rejectMedia: true, rejectReports: false, note: '' },
    ]);
    expect(csv).toBe(
      '#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\r\n"a.example","suspend","false","false","\'=HYPERLINK(""x"")","false"\r\n"c.example","noop","true","false","","false"\r\n',
    );
  });
});
