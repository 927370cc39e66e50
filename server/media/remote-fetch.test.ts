// Only the four formats we re-encode may reach a decoder, whatever type the other server announced.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isAcceptedPicture } from './remote-fetch.ts';

const blank = () => sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } });

describe('isAcceptedPicture', () => {
  it('accepts JPEG, PNG, GIF and WebP by their first bytes', async () => {
    for (const bytes of [await blank().jpeg().toBuffer(), await blank().png().toBuffer(), await blank().gif().toBuffer(), await blank().webp().toBuffer()]) {
      expect(isAcceptedPicture(bytes)).toBe(true);
    }
  });

  it('refuses SVG, TIFF, AVIF, PDF, HTML and truncated files', async () => {
    const refused = [
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>'),
      await blank().tiff().toBuffer(),
      await blank().avif().toBuffer(),
      Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj'),
      Buffer.from('<!doctype html><script>alert(1)</script>'),
      Buffer.from([0xff, 0xd8, 0xff]),
      Buffer.from('RIFF\0\0\0\0WAVEfmt '),
    ];
    for (const bytes of refused) expect(isAcceptedPicture(bytes)).toBe(false);
  });
});
