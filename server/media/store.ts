// Uploaded files live under DATA_DIR/media with random names we choose; a name sent by a client
// or a remote server never becomes a path (ASVS 5.3.2; Mastodon's "TootRoot").
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newId } from '../accounts/secrets.ts';

const FOLDERS = ['avatars', 'posts', 'groups', 'events', 'reports', 'chat'] as const;
export type MediaFolder = (typeof FOLDERS)[number];
const KEY_RE = /^(?:(?:avatars|posts|groups|events|reports|chat)\/[a-z0-9]{16}\.webp|chat\/[a-z0-9]{16}\.pdf)$/;

export class MediaStore {
  readonly root: string;
  constructor(dataDir: string) {
    this.root = join(dataDir, 'media');
  }

  /** Stores bytes under a fresh random key in a folder; returns the key. */
  async put(folder: MediaFolder, extension: 'webp' | 'pdf', bytes: Buffer): Promise<string> {
    const key = `${folder}/${newId()}.${extension}`;
    await mkdir(join(this.root, folder), { recursive: true });
    await writeFile(join(this.root, key), bytes, { flag: 'wx' });
    return key;
  }

  /** Deletes a stored file; keys that we did not make are ignored. */
  async delete(key: string | null | undefined): Promise<void> {
    if (!key || !KEY_RE.test(key)) return;
    await rm(join(this.root, key), { force: true });
  }

  /** The bytes of a stored file (to copy it), or null. */
  async read(key: string | null | undefined): Promise<Buffer | null> {
    if (!key || !KEY_RE.test(key)) return null;
    return readFile(join(this.root, key)).catch(() => null);
  }

  /** Whether a path asked for under /media is one of ours (before serving it). */
  static isKey(key: string): boolean {
    return KEY_RE.test(key);
  }
}
