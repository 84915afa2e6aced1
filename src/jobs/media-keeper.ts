/**
 * Keeps what customers send: WeCom deletes a customer's photo, voice note, video or file 3 days after
 * it arrived (media/get then answers 40007), so every few minutes the media of recent messages that
 * nobody has opened yet is downloaded into the inbound-media store. Opening it in the inbox later works
 * however old the conversation is. Several instances may fetch the same media: the store writes
 * atomically, so the cost is a repeated download, never a broken file.
 */
import type { Logger } from 'pino';
import type { WeComClient } from '../channels/wecom-kf/api-client.js';
import { WeComApiError } from '../channels/wecom-kf/api-client.js';
import { DOWNLOADABLE_MSGTYPES, downloadableMediaId, type InboundMediaCache } from '../materials/inbound-media.js';
import type { Store } from '../store/database.js';

const MEDIA_LIFETIME_MS = 3 * 86400_000;

export class MediaKeeper {
  /** Messages up to this id have been looked at (in this process). */
  private after = 0;
  private running = false;

  constructor(
    private readonly store: Store,
    private readonly wecom: WeComClient,
    private readonly cache: InboundMediaCache,
    private readonly log: Logger,
  ) {}

  /** One pass; returns how many media were downloaded. */
  async sweep(now = Date.now()): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let fetched = 0;
    try {
      const rows = await this.store.db
        .selectFrom('messages')
        .select(['id', 'msgid', 'msgtype', 'raw'])
        .where('id', '>', this.after)
        .where('msgtype', 'in', [...DOWNLOADABLE_MSGTYPES])
        .where('received_at', '>', now - MEDIA_LIFETIME_MS)
        .orderBy('id')
        .limit(500)
        .execute();
      for (const m of rows) {
        this.after = Number(m.id);
        if (await this.cache.has(m.msgid)) continue;
        const mediaId = downloadableMediaId(m.msgtype, JSON.parse(m.raw) as Record<string, unknown>);
        if (!mediaId) continue;
        try {
          await this.cache.put(m.msgid, (await this.wecom.downloadMedia(mediaId)).bytes);
          fetched++;
        } catch (err) {
          // Expired or refused: nothing more to get. Network trouble: the next pass after a restart retries.
          if (!(err instanceof WeComApiError)) this.after = Number(m.id) - 1;
          this.log.warn({ msgid: m.msgid, err: (err as Error).message }, 'could not keep a customer’s media');
          if (!(err instanceof WeComApiError)) break;
        }
      }
    } finally {
      this.running = false;
    }
    return fetched;
  }
}
