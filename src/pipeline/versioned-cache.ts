/**
 * A value compiled from the database (the RuleSet, the risk-word scanner) and rebuilt when its version
 * number changes: at once in the instance that changed it (`invalidate`), within `checkEveryMs` in
 * the others (they poll the number).
 */
export class VersionedCache<T> {
  private current: T | undefined;
  private version = '';
  private checkedAt = 0;
  private loading: Promise<T> | undefined;

  constructor(
    private readonly readVersion: () => Promise<string>,
    private readonly build: () => Promise<T>,
    private readonly checkEveryMs = 1000,
  ) {}

  async get(): Promise<T> {
    if (this.current && Date.now() - this.checkedAt < this.checkEveryMs) return this.current;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  invalidate(): void {
    this.checkedAt = 0;
  }

  private async load(): Promise<T> {
    const version = await this.readVersion();
    this.checkedAt = Date.now();
    if (this.current && version === this.version) return this.current;
    this.current = await this.build();
    this.version = version;
    return this.current;
  }
}
