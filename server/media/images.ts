// Image processing for uploads: decoded and re-encoded by sharp (libvips), so what we store is
// an image we wrote, never the uploaded bytes: orientation applied, then every metadata block
// (EXIF with GPS position and device, XMP, ICC comments) dropped, size bounded.
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import { fail } from '../errors.ts';

const ACCEPTED = new Set(['jpeg', 'png', 'webp', 'gif']);

/**
 * Checks that the upload is a picture of an accepted format, then re-encodes it to WebP with
 * `shape` (orientation applied first). Anything else (unknown format, truncated file, a
 * decompression bomb over `maxPixels`) is a translated "not a usable picture" error.
 */
async function reencode(input: Buffer, maxPixels: number, shape: (image: Sharp) => Sharp): Promise<{ data: Buffer; info: OutputInfo }> {
  let format: string | undefined;
  try {
    format = (await sharp(input, { limitInputPixels: maxPixels }).metadata()).format;
  } catch {
    throw fail.unsupportedMedia('avatar.invalid');
  }
  if (!format || !ACCEPTED.has(format)) throw fail.unsupportedMedia('avatar.invalid');
  try {
    return await shape(sharp(input, { limitInputPixels: maxPixels, failOn: 'error' }).rotate()).toBuffer({ resolveWithObject: true });
  } catch {
    throw fail.unsupportedMedia('avatar.invalid');
  }
}

/** A square WebP avatar of at most `size` pixels; throws a translated error for anything else. */
export async function processAvatar(input: Buffer, size = 400): Promise<Buffer> {
  return (await reencode(input, 40_000_000, (i) => i.resize(size, size, { fit: 'cover', position: 'attention' }).webp({ quality: 82 }))).data;
}

/** A post picture: at most 1600 px on its longer side, WebP, no metadata. */
export async function processPostImage(input: Buffer): Promise<{ bytes: Buffer; width: number; height: number }> {
  const { data, info } = await reencode(input, 60_000_000, (i) => i.resize(1600, 1600, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 }));
  return { bytes: data, width: info.width, height: info.height };
}

/** A group banner: 1500 × 500 at most, WebP, no metadata. */
export async function processBanner(input: Buffer): Promise<Buffer> {
  return (await reencode(input, 60_000_000, (i) => i.resize(1500, 500, { fit: 'cover', position: 'attention' }).webp({ quality: 80 }))).data;
}
