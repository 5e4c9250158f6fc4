const CACHE_TTL_MS = 10 * 60_000;

/**
 * A list loaded at most once per TTL; concurrent callers share one request (1,000 Won deals, one pipelines call).
 * A lookup miss may force one reload per missing key per TTL: a stage created a minute ago is found, while a
 * stage that is really gone does not cost one Kommo call per job.
 */
export class TtlCache<T> {
  private value?: T;
  private loadedAt = 0;
  private inflight?: Promise<T>;
  private readonly reloadedFor = new Set<string>();

  constructor(private readonly load: () => Promise<T>) {}

  async get(opts: { missed?: string } = {}): Promise<T> {
    if (this.value === undefined || Date.now() - this.loadedAt >= CACHE_TTL_MS) {
      this.reloadedFor.clear();
      return this.reload();
    }
    const key = opts.missed;
    if (key === undefined || this.reloadedFor.has(key)) return this.value;
    const fresh = await this.reload();
    this.reloadedFor.add(key);
    return fresh;
  }

  private reload(): Promise<T> {
    this.inflight ??= this.load()
      .then((v) => {
        this.value = v;
        this.loadedAt = Date.now();
        return v;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }
}
