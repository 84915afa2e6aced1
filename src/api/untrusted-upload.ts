/**
 * The HTTP answer for an upload the import worker refused (src/imports/untrusted-file.ts): 413 when
 * the file is over a size limit (bytes, rows, unpacked size, memory), 422 when it cannot be read
 * (malformed, or it took longer than the time limit). Nothing was changed in either case.
 */
import { UntrustedFileError } from '../imports/untrusted-file.js';
import { ApiError } from './http-errors.js';

export function refuseFile(err: unknown): never {
  if (err instanceof UntrustedFileError) {
    throw new ApiError(err.status, `nothing imported: ${err.message}`, [{ field: 'file', message: err.message }], { reason: err.kind });
  }
  throw err;
}
