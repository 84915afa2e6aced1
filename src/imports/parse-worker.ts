/**
 * The worker side of untrusted-file.ts: loads one parser, says it is ready (the time limit starts),
 * parses, and posts the result or the refusal. Runs in a worker thread with a heap limit; the main
 * thread terminates it at its time limit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PARSERS, type ParserName } from './parsers.js';
import { UntrustedFileError, type WorkerMessage } from './untrusted-file.js';

const { parser, input } = workerData as { parser: ParserName; input: never };
const post = (m: WorkerMessage) => parentPort!.postMessage(m);

try {
  const parse = await PARSERS[parser]();
  post({ type: 'ready' });
  try {
    post({ type: 'done', result: await parse(input) });
  } catch (err) {
    if (err instanceof UntrustedFileError) post({ type: 'refused', kind: err.kind, message: err.message });
    // A parser is written to report every problem in the file; anything thrown is a file it could not read.
    else post({ type: 'refused', kind: 'malformed', message: `the file could not be read (${String((err as Error)?.message ?? err).slice(0, 200)})` });
  }
} catch (err) {
  post({ type: 'crashed', message: String((err as Error)?.stack ?? err) });
}
