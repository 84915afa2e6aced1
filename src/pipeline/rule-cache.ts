/**
 * The compiled RuleSet the pipeline decides with. Rebuilt when the rules change: at once in the
 * instance that changed them, within `checkEveryMs` in the others (they poll a version number).
 */
import type { Kysely } from 'kysely';
import { RuleSet } from '../rules/decide.js';
import { handoffSettings, listRules, rulesVersion } from '../store/rules-repo.js';
import type { Database } from '../store/schema.js';

export class RuleCache {
  private current: RuleSet | undefined;
  private version = '';
  private checkedAt = 0;
  private loading: Promise<RuleSet> | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly timezone: string,
    private readonly checkEveryMs = 1000,
  ) {}

  async get(): Promise<RuleSet> {
    if (this.current && Date.now() - this.checkedAt < this.checkEveryMs) return this.current;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** Called by the rules API after a change in this instance. */
  invalidate(): void {
    this.checkedAt = 0;
  }

  private async load(): Promise<RuleSet> {
    const version = await rulesVersion(this.db);
    this.checkedAt = Date.now();
    if (this.current && version === this.version) return this.current;
    this.current = new RuleSet(await listRules(this.db), this.timezone, await handoffSettings(this.db));
    this.version = version;
    return this.current;
  }
}
