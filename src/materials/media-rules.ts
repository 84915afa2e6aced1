/**
 * Which uploads WeCom accepts as which kind of material, decided by the bytes (file-type), not the
 * file name: a renamed .exe is refused whatever it is called. Limits are WeCom's media/upload limits.
 */
import { fileTypeFromBuffer } from 'file-type';

export type MaterialKind = 'image' | 'voice' | 'video' | 'file';

const MB = 1024 * 1024;
export const MAX_BYTES: Record<MaterialKind, number> = { image: 10 * MB, voice: 2 * MB, video: 10 * MB, file: 20 * MB };
/** WeCom refuses media of 5 bytes or less. */
export const MIN_BYTES = 6;

const IMAGE = new Set(['image/jpeg', 'image/png']);
const VIDEO = new Set(['video/mp4']);
const VOICE = new Set(['audio/amr']);
/** Documents customers expect to receive; executables and scripts never. */
const DOCUMENT = new Set([
  'application/pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/x-cfb',
  'application/zip',
  'application/x-rar-compressed',
  'application/x-7z-compressed',
]);

export interface MaterialCheck {
  kind: MaterialKind;
  mime: string;
  ext: string;
}

export class MaterialRejected extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 | 415,
  ) {
    super(message);
  }
}

/**
 * Classifies an upload by content. `wanted` forces a kind (e.g. send a PNG as a file); otherwise
 * images, videos and voice are recognised and documents become files.
 */
export async function checkMaterial(bytes: Buffer, filename: string, wanted?: MaterialKind): Promise<MaterialCheck> {
  if (bytes.length < MIN_BYTES) throw new MaterialRejected(`"${filename}" is ${bytes.length} bytes; WeCom needs more than 5 bytes`, 400);
  const detected = await fileTypeFromBuffer(bytes);
  let found: MaterialCheck | undefined;
  if (detected) {
    const { mime, ext } = detected;
    const natural: MaterialKind | undefined = IMAGE.has(mime) ? 'image' : VIDEO.has(mime) ? 'video' : VOICE.has(mime) ? 'voice' : DOCUMENT.has(mime) ? 'file' : undefined;
    if (natural && (!wanted || wanted === natural || wanted === 'file')) found = { kind: wanted ?? natural, mime, ext };
    else if (wanted && natural) {
      throw new MaterialRejected(`"${filename}" is ${mime}, which cannot be sent as ${wanted} (WeCom takes ${describe(wanted)})`, 415);
    } else {
      throw new MaterialRejected(`"${filename}" is ${mime} (.${ext}) by its content; WeCom materials must be ${describe(wanted)}`, 415);
    }
  } else if (isPlainText(bytes) && /\.(txt|csv)$/i.test(filename) && (!wanted || wanted === 'file')) {
    found = { kind: 'file', mime: 'text/plain', ext: filename.toLowerCase().endsWith('.csv') ? 'csv' : 'txt' };
  } else {
    throw new MaterialRejected(`the type of "${filename}" could not be recognised from its content; upload JPG/PNG images, MP4 videos, AMR voice or PDF/Office documents`, 415);
  }
  const limit = MAX_BYTES[found.kind];
  if (bytes.length > limit) {
    throw new MaterialRejected(`"${filename}" is ${(bytes.length / MB).toFixed(1)} MB; WeCom accepts ${found.kind} materials up to ${limit / MB} MB`, 413);
  }
  return found;
}

function describe(kind?: MaterialKind): string {
  switch (kind) {
    case 'image':
      return 'JPG or PNG images';
    case 'video':
      return 'MP4 videos';
    case 'voice':
      return 'AMR voice';
    case 'file':
      return 'PDF, Office documents or archives';
    default:
      return 'JPG/PNG images, MP4 videos, AMR voice, or PDF/Office documents';
  }
}

function isPlainText(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 8192);
  if (sample.includes(0)) return false;
  return !new TextDecoder('utf-8', { fatal: false }).decode(sample).includes('\uFFFD');
}
