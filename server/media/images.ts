// Image processing for uploads: decoded and re-encoded by sharp (libvips), so what we store is
// an image we wrote, never the uploaded bytes: orientation applied, then every metadata block
// (EXIF with GPS position and device, XMP, ICC comments) dropped, size bounded.
import sharp from 'sharp';
import { fail } from '../errors.ts';

const ACCEPTED = new Set(['jpeg', 'png', 'webp', 'gif']);

/** A square WebP avatar of at most `size` pixels; throws a translated error for anything else. */
export async function processAvatar(input: Buffer, size = 400): Promise<Buffer> {
  let format: string | undefined;
  try {
    format = (await sharp(input, { limitInputPixels: 40_000_000 }).metadata()).format;
  } catch {
    throw fail.unsupportedMedia('avatar.invalid');
  }
  if (!format || !ACCEPTED.has(format)) throw fail.unsupportedMedia('avatar.invalid');
  try {
    return await sharp(input, { limitInputPixels: 40_000_000, failOn: 'error' })
      .rotate()
      .resize(size, size, { fit: 'cover', position: 'attention' })
      .webp({ quality: 82 })
      .toBuffer();
  } catch {
    throw fail.unsupportedMedia('avatar.invalid');
  }
}
