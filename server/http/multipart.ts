// multipart/form-data for the JSON API (posts with pictures): the body is read up to a bound,
// then parsed by the platform's own FormData parser. Field and file counts are bounded too.
import type { Request } from 'express';
import { fail } from '../errors.ts';

export interface Multipart {
  /** Text fields; a name sent several times (checkboxes) is also in `lists`. */
  fields: Record<string, string>;
  lists: Record<string, string[]>;
  /** `name`: the file name the client gave, for display only (never a path). */
  files: { field: string; bytes: Buffer; type: string; name: string }[];
}

async function readBody(req: Request, limit: number): Promise<Buffer> {
  const declared = Number(req.get('content-length') ?? 0);
  if (declared > limit) throw fail.tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw fail.tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function readMultipart(req: Request, opts: { maxFiles: number; maxFileBytes: number; maxTotalBytes: number }): Promise<Multipart> {
  const body = await readBody(req, opts.maxTotalBytes + 64 * 1024);
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), { headers: { 'content-type': req.get('content-type') ?? '' } }).formData();
  } catch {
    throw fail.invalid({ form: 'validation.invalid' });
  }
  const fields: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  const files: Multipart['files'] = [];
  let entries = 0;
  for (const [name, value] of form) {
    if (++entries > 50) throw fail.invalid({ form: 'validation.invalid' });
    if (typeof value === 'string') {
      fields[name] = value;
      (lists[name] ??= []).push(value);
    }
    else {
      if (files.length >= opts.maxFiles) throw fail.invalid({ images: 'validation.invalid' });
      if (value.size > opts.maxFileBytes) throw fail.tooLarge('avatar.too_large', { mb: Math.round(opts.maxFileBytes / 1048576) });
      if (value.size > 0) files.push({ field: name, bytes: Buffer.from(await value.arrayBuffer()), type: value.type, name: value.name });
    }
  }
  return { fields, lists, files };
}
