/**
 * The read cache of a store that this process alone writes (local mode: the server is the one
 * writer of its dynalite table). Every write of a key calls `invalidate` before and after it; a read
 * takes a `mark` before it asks the store and `keep`s what it read only if no write of that key
 * began or ended meanwhile (a generation counter per key says so). Values are kept as copies and
 * handed out as copies, so a caller's change never reaches the cache.
 *
 * At most `maxEntries` values are kept (the oldest goes first). The per-key counters are bounded too:
 * past `maxCounters` they all start again with a new era, and every read begun before then keeps
 * nothing.
 */
export class SingleWriterCache<T> {
  private readonly values = new Map<string, T>();
  private readonly generations = new Map<string, number>();
  private era = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxCounters = 10_000,
  ) {}

  /** The cache key of an item of `tenant` (ids cannot hold NUL). */
  static key(tenant: string, id: string): string {
    return `${tenant}\u0000${id}`;
  }

  /** A copy of the value kept for `key`, if any. */
  get(key: string): T | undefined {
    const value = this.values.get(key);
    return value === undefined ? undefined : structuredClone(value);
  }

  /** A write of `key` begins or ends: what is kept for it is dropped, and reads in flight keep nothing. */
  invalidate(key: string): void {
    if (this.generations.size >= this.maxCounters && !this.generations.has(key)) {
      this.generations.clear();
      this.values.clear();
      this.era++;
    }
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
    this.values.delete(key);
  }

  /** Where the writes of `key` stand now (compared again by `keep`). */
  mark(key: string): string {
    return `${this.era}:${this.generations.get(key) ?? 0}`;
  }

  /** Keeps a copy of `value` for `key` unless a write of it began or ended since `mark`. */
  keep(key: string, mark: string, value: T): void {
    if (this.mark(key) !== mark) return;
    if (this.values.size >= this.maxEntries && !this.values.has(key)) {
      const oldest = this.values.keys().next().value;
      if (oldest !== undefined) this.values.delete(oldest);
    }
    this.values.set(key, structuredClone(value));
  }

  /** Runs the write `run` of `key` between the two invalidations. */
  async write<R>(key: string, run: () => Promise<R>): Promise<R> {
    this.invalidate(key);
    try {
      return await run();
    } finally {
      this.invalidate(key);
    }
  }
}
