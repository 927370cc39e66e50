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

/** A post picture: at most 1600 px on its longer side, WebP, no metadata. */
export async function processPostImage(input: Buffer): Promise<{ bytes: Buffer; width: number; height: number }> {
  let format: string | undefined;
  try {
    format = (await sharp(input, { limitInputPixels: 60_000_000 }).metadata()).format;
  } catch {
    throw fail.unsupportedMedia('avatar.invalid');
  }
  if (!format || !ACCEPTED.has(format)) throw fail.unsupportedMedia('avatar.invalid');
  try {
    const { data, info } = await sharp(input, { limitInputPixels: 60_000_000, failOn: 'error' })
      .rotate()
      .resize(1600, 1600, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer({ resolveWithObject: true });
    return { bytes: data, width: info.width, height: info.height };
  } catch {
    throw fail.unsupportedMedia('avatar.invalid');
  }
}

/** A group banner: 1500 × 500 at most, WebP, no metadata. */
export async function processBanner(input: Buffer): Promise<Buffer> {
  let format: string | undefined;
  try {
    format = (await sharp(input, { limitInputPixels: 60_000_000 }).metadata()).format;
  } catch {
    throw fail.unsupportedMedia('avatar.invalid');
  }
  if (!format || !ACCEPTED.has(format)) throw fail.unsupportedMedia('avatar.invalid');
  try {
    return await sharp(input, { limitInputPixels: 60_000_000, failOn: 'error' })
      .rotate()
      .resize(1500, 500, { fit: 'cover', position: 'attention' })
      .webp({ quality: 80 })
      .toBuffer();
  } catch {
    throw fail.unsupportedMedia('avatar.invalid');
  }
}
