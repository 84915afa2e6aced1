/**
 * The compiled RuleSet the pipeline decides with. Rebuilt when the rules change: at once in the
 * instance that changed them, within `checkEveryMs` in the others (they poll a version number).
 */
import type { Kysely } from 'kysely';
import { RuleSet, type RuleSetOptions } from '../rules/decide.js';
import { handoffSettings, listRules, rulesVersion } from '../store/rules-repo.js';
import type { Database } from '../store/schema.js';
import { VersionedCache } from './versioned-cache.js';

export class RuleCache {
  private readonly cache: VersionedCache<RuleSet>;

  constructor(db: Kysely<Database>, timezone: string, checkEveryMs = 1000, options: RuleSetOptions = {}) {
    this.cache = new VersionedCache(
      () => rulesVersion(db),
      async () => new RuleSet(await listRules(db), timezone, await handoffSettings(db), options),
      checkEveryMs,
    );
  }

  get(): Promise<RuleSet> {
    return this.cache.get();
  }

  /** Called by the rules API after a change in this instance. */
  invalidate(): void {
    this.cache.invalidate();
  }
}
