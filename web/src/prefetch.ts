/**
 * The first screen's data, requested while its code is still loading (issue 12, point 5: largest
 * contentful paint). Without it the rules list asks for /api/rules only after three chunks have
 * loaded and run one after the other (index → Shell → Rules); with it the answer is there when the
 * page first renders. Each prefetched answer is used once: later loads ask the API as usual.
 */
import { api } from './api';

const early = new Map<string, Promise<unknown>>();

/** Starts GET `path` with the saved token (a refused token just means the page asks again itself). */
export function prefetch(path: string, token: string): void {
  if (early.has(path)) return;
  const p = api('GET', path, undefined, { token });
  p.catch(() => undefined);
  early.set(path, p);
}

/** The prefetched answer for `path` if there is one (once), otherwise `load()`; a failed prefetch falls back to `load()`. */
export function prefetched<T>(path: string, load: () => Promise<T>): Promise<T> {
  const p = early.get(path) as Promise<T> | undefined;
  early.delete(path);
  return p ? p.catch(load) : load();
}
