/**
 * media/upload support: a small multipart/form-data reader and WeCom's upload rules
 * (type by content, not by file name; size limits per type).
 */
import { ERR } from './errcodes.js';

export type MediaType = 'image' | 'voice' | 'video' | 'file';
export const MEDIA_TYPES: readonly MediaType[] = ['image', 'voice', 'video', 'file'];

const MB = 1024 * 1024;
/** Upper size limits (bytes) and the errcode WeCom answers when exceeded. */
export const MEDIA_LIMITS: Record<MediaType, { max: number; sizeErr: number }> = {
  image: { max: 10 * MB, sizeErr: ERR.INVALID_IMAGE_SIZE },
  voice: { max: 2 * MB, sizeErr: ERR.INVALID_FILE_SIZE },
  video: { max: 10 * MB, sizeErr: ERR.INVALID_VIDEO_SIZE },
  file: { max: 20 * MB, sizeErr: ERR.INVALID_FILE_SIZE },
};
/** Every upload must be larger than this many bytes. */
export const MEDIA_MIN_BYTES = 5;

export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** Reads the parts of a multipart/form-data body; returns undefined when it is not one. */
export function parseMultipart(body: Buffer, contentTypeHeader: string | undefined): FormPart[] | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentTypeHeader ?? '');
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary || !/multipart\/form-data/i.test(contentTypeHeader ?? '')) return undefined;
  const delim = Buffer.from(`--${boundary.trim()}`);
  const parts: FormPart[] = [];
  let pos = body.indexOf(delim);
  while (pos !== -1) {
    let start = pos + delim.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break; // closing "--"
    if (body[start] === 0x0d && body[start + 1] === 0x0a) start += 2;
    const next = body.indexOf(delim, start);
    if (next === -1) break;
    let end = next;
    if (body[end - 2] === 0x0d && body[end - 1] === 0x0a) end -= 2;
    const headerEnd = body.indexOf('\r\n\r\n', start);
    if (headerEnd !== -1 && headerEnd < end) {
      const headers = body.subarray(start, headerEnd).toString('utf8');
      const disp = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
      const name = /\bname="([^"]*)"/i.exec(disp)?.[1];
      const filename = /\bfilename="([^"]*)"/i.exec(disp)?.[1];
      const contentType = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim();
      if (name !== undefined) parts.push({ name, filename, contentType, data: body.subarray(headerEnd + 4, end) });
    }
    pos = next;
  }
  return parts;
}

export type SniffedKind = 'png' | 'jpeg' | 'mp4' | 'amr' | 'other';

/** Recognises the few formats WeCom restricts uploads to, by their magic bytes. */
export function sniff(data: Buffer): SniffedKind {
  if (data.length >= 8 && data.readUInt32BE(0) === 0x89504e47 && data.readUInt32BE(4) === 0x0d0a1a0a) return 'png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
  if (data.length >= 12 && data.toString('latin1', 4, 8) === 'ftyp') return 'mp4';
  if (data.length >= 6 && data.toString('latin1', 0, 6) === '#!AMR\n') return 'amr';
  return 'other';
}

/** Checks one upload against WeCom's rules; returns the errcode to answer (0 = accepted). */
export function checkUpload(type: MediaType, data: Buffer): { errcode: number; detail?: string } {
  const limit = MEDIA_LIMITS[type];
  if (data.length <= MEDIA_MIN_BYTES || data.length > limit.max) {
    return { errcode: limit.sizeErr, detail: `${type} size ${data.length} bytes not in (5, ${limit.max}]` };
  }
  const kind = sniff(data);
  const ok =
    type === 'file' ||
    (type === 'image' && (kind === 'png' || kind === 'jpeg')) ||
    (type === 'voice' && kind === 'amr') ||
    (type === 'video' && kind === 'mp4');
  if (!ok) return { errcode: ERR.INVALID_MEDIA_TYPE, detail: `content of type ${kind} is not a valid ${type}` };
  return { errcode: ERR.OK };
}
