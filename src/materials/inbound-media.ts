/**
 * Media customers sent (photos, voice notes, videos, files), kept once downloaded from WeCom: its
 * media_id lives only 3 days, the conversation history longer. Files are named by a digest of the
 * message id under <data dir>/inbound-media/ and written atomically (temp file + rename), so two
 * instances downloading the same media at once cannot leave a half-written file.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileTypeFromBuffer } from 'file-type';

/** Message types whose bytes WeCom keeps for download (media/get) for 3 days. */
export const DOWNLOADABLE_MSGTYPES = ['image', 'voice', 'video', 'file'] as const;

/** The media_id of a stored message (its raw item as pulled), or null when it has nothing to download. */
export function downloadableMediaId(msgtype: string, raw: Record<string, unknown> | null): string | null {
  if (!(DOWNLOADABLE_MSGTYPES as readonly string[]).includes(msgtype)) return null;
  const id = (raw?.[msgtype] as { media_id?: unknown } | undefined)?.media_id;
  return typeof id === 'string' && id !== '' ? id : null;
}

export interface InboundMedia {
  bytes: Buffer;
  /** From the bytes, not from what the sender or WeCom claimed. */
  mime: string;
  ext: string | null;
}

export class InboundMediaCache {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'inbound-media');
  }

  async get(msgid: string): Promise<InboundMedia | null> {
    try {
      return await describe(await fs.readFile(this.file(msgid)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async has(msgid: string): Promise<boolean> {
    try {
      await fs.access(this.file(msgid));
      return true;
    } catch {
      return false;
    }
  }

  async put(msgid: string, bytes: Buffer): Promise<InboundMedia> {
    await fs.mkdir(this.dir, { recursive: true });
    const file = this.file(msgid);
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, file);
    return describe(bytes);
  }

  private file(msgid: string): string {
    return path.join(this.dir, crypto.createHash('sha256').update(msgid).digest('hex'));
  }
}

async function describe(bytes: Buffer): Promise<InboundMedia> {
  const type = await fileTypeFromBuffer(bytes);
  return { bytes, mime: type?.mime ?? 'application/octet-stream', ext: type?.ext ?? null };
}
