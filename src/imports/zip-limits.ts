/**
 * How much a ZIP really unpacks to, counted while inflating, never taken from its directory.
 *
 * An XLSX is a ZIP; a sheet of megabytes of whitespace compresses to a few KB, and a ZIP's directory
 * may state any size it likes. So every entry is inflated with fflate's streaming `Unzip` (it reads
 * the local headers in order, as read-excel-file's own unzip does), the input is pushed 1 KB at a
 * time (deflate expands at most ~1032×, so one step produces at most ~1 MB), and the count stops at
 * the first byte past the limit. Nothing is kept: the caller parses the file afterwards, knowing it
 * unpacks to at most `maxBytes`.
 *
 * Why fflate: it is already in the tree (read-excel-file depends on it), has no dependencies, inflates
 * synchronously chunk by chunk with an `ondata` per chunk, so a count can stop mid-entry. yauzl would
 * need a file or a random-access reader and node streams for the same result; read-excel-file's own
 * unzip (unzipper-esm) is not exported by its package and has no limit to set.
 */
import { Unzip, UnzipInflate } from 'fflate';

export class UnzipLimitError extends Error {
  constructor(
    readonly reason: 'too_large' | 'too_many_entries' | 'unreadable',
    message: string,
  ) {
    super(message);
  }
}

export interface UnzipLimits {
  /** Decompressed bytes of all entries together. */
  maxBytes: number;
  /** Entries in the archive (an XLSX has about ten). */
  maxEntries?: number;
}

const STEP = 1024;

/** Total decompressed size of every entry; throws UnzipLimitError as soon as a limit is passed or the ZIP cannot be read. */
export function measureUnzipped(bytes: Uint8Array, limits: UnzipLimits): number {
  const maxEntries = limits.maxEntries ?? 1000;
  let total = 0;
  let entries = 0;
  let failure: UnzipLimitError | undefined;
  const unzip = new Unzip((file) => {
    entries++;
    if (entries > maxEntries) {
      failure ??= new UnzipLimitError('too_many_entries', `holds more than ${maxEntries} files`);
      return;
    }
    if (file.compression !== 0 && file.compression !== 8) {
      failure ??= new UnzipLimitError('unreadable', `"${file.name.slice(0, 60)}" uses a compression method (${file.compression}) Excel does not write`);
      return;
    }
    file.ondata = (err, chunk) => {
      if (failure) return;
      if (err) {
        failure = new UnzipLimitError('unreadable', `"${file.name.slice(0, 60)}" is damaged (${err.message})`);
        return;
      }
      total += chunk.length;
      if (total > limits.maxBytes) {
        failure = new UnzipLimitError('too_large', `unpacks to more than ${formatMb(limits.maxBytes)}`);
        file.terminate();
      }
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for (let i = 0; i < bytes.length && !failure; i += STEP) unzip.push(bytes.subarray(i, Math.min(bytes.length, i + STEP)), i + STEP >= bytes.length);
  } catch (err) {
    failure ??= new UnzipLimitError('unreadable', `is not a readable ZIP (${(err as Error).message})`);
  }
  if (failure) throw failure;
  if (entries === 0) throw new UnzipLimitError('unreadable', 'is not a readable ZIP (no files in it)');
  return total;
}

export function formatMb(n: number): string {
  return `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MB`;
}
