/**
 * Uploaded materials: bytes on disk under the data directory, metadata in the database, and the
 * WeCom media_id obtained on first use and renewed before its 3 days run out.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database, MaterialRow } from '../store/schema.js';
import type { MaterialCheck } from './media-rules.js';

/** WeCom media_id lives 3 days; renew when less than this is left. */
export const MEDIA_TTL_MS = 3 * 86400_000;
export const MEDIA_RENEW_MARGIN_MS = 12 * 3600_000;

export class MaterialMissing extends Error {}

export type UploadMedia = (kind: MaterialCheck['kind'], filename: string, bytes: Buffer, mime: string) => Promise<string>;

export interface Material {
  id: number;
  kind: string;
  filename: string;
  mime: string;
  size: number;
  sha256: string;
  media_id_expires_at: number | null;
  created_at: number;
}

export function materialFromRow(r: MaterialRow): Material {
  return {
    id: Number(r.id),
    kind: r.kind,
    filename: r.filename,
    mime: r.mime,
    size: Number(r.size),
    sha256: r.sha256,
    media_id_expires_at: r.media_uploaded_at === null ? null : Number(r.media_uploaded_at) + MEDIA_TTL_MS,
    created_at: Number(r.created_at),
  };
}

export class MaterialStore {
  private readonly inflight = new Map<number, Promise<string>>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dataDir: string,
    private readonly now: () => number = Date.now,
  ) {}

  async save(bytes: Buffer, filename: string, check: MaterialCheck): Promise<Material> {
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    const rel = path.join('materials', `${sha256}.${check.ext}`);
    const abs = path.join(this.dataDir, rel);
    await fs.mkdir(path.dirname(abs), { recursive: true });
    // Write then rename: a crash never leaves a half-written file under the final name.
    const tmp = `${abs}.${process.pid}.tmp`;
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, abs);
    const row = await this.db
      .insertInto('materials')
      .values({ kind: check.kind, filename: safeFilename(filename), mime: check.mime, size: bytes.length, sha256, path: rel, media_id: null, media_uploaded_at: null, created_at: this.now() })
      .returningAll()
      .executeTakeFirstOrThrow();
    return materialFromRow(row);
  }

  async list(): Promise<Material[]> {
    const rows = await this.db.selectFrom('materials').selectAll().orderBy('id', 'desc').execute();
    return rows.map(materialFromRow);
  }

  async get(id: number): Promise<Material | undefined> {
    const row = await this.db.selectFrom('materials').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? materialFromRow(row) : undefined;
  }

  async existingIds(ids: number[]): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const rows = await this.db.selectFrom('materials').select('id').where('id', 'in', ids).execute();
    return new Set(rows.map((r) => Number(r.id)));
  }

  async readBytes(id: number): Promise<{ row: MaterialRow; bytes: Buffer }> {
    const row = await this.db.selectFrom('materials').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new MaterialMissing(`material ${id} no longer exists`);
    return { row, bytes: await fs.readFile(path.join(this.dataDir, row.path)) };
  }

  /** The media_id to send material `id` with, uploading it first when missing, expiring or `renew`ed. */
  mediaIdFor(id: number, upload: UploadMedia, opts: { renew?: boolean } = {}): Promise<string> {
    let p = this.inflight.get(id);
    if (!p) {
      p = this.resolve(id, upload, opts.renew ?? false).finally(() => this.inflight.delete(id));
      this.inflight.set(id, p);
    }
    return p;
  }

  private async resolve(id: number, upload: UploadMedia, renew: boolean): Promise<string> {
    const row = await this.db.selectFrom('materials').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new MaterialMissing(`material ${id} no longer exists`);
    const uploadedAt = row.media_uploaded_at === null ? null : Number(row.media_uploaded_at);
    if (!renew && row.media_id && uploadedAt !== null && uploadedAt + MEDIA_TTL_MS - MEDIA_RENEW_MARGIN_MS > this.now()) {
      return row.media_id;
    }
    const bytes = await fs.readFile(path.join(this.dataDir, row.path));
    const mediaId = await upload(row.kind as MaterialCheck['kind'], row.filename, bytes, row.mime);
    await this.db.updateTable('materials').set({ media_id: mediaId, media_uploaded_at: this.now() }).where('id', '=', id).execute();
    return mediaId;
  }
}

function safeFilename(name: string): string {
  const base = path.basename(name).replace(/[\u0000-\u001f<>:"/\\|?*]/g, '_').slice(0, 200);
  return base || 'file';
}
