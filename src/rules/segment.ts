/**
 * Chinese word segmentation (jieba via @node-rs/jieba), loaded on first use: its dictionary takes
 * a few hundred milliseconds to load and most processes never need it.
 */
import { createRequire } from 'node:module';

type Cut = (text: string) => string[];
let cut: Cut | undefined;

export function segment(text: string): string[] {
  if (!cut) {
    const require = createRequire(import.meta.url);
    const { Jieba } = require('@node-rs/jieba') as typeof import('@node-rs/jieba');
    const { dict } = require('@node-rs/jieba/dict') as { dict: Uint8Array };
    const jieba = Jieba.withDict(dict);
    cut = (t) => jieba.cut(t, false);
  }
  return cut(text);
}
