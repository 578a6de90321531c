import { CircuitOpenError } from './errors.ts';

/** What the store keeps per target host. Times are epoch milliseconds. */
export interface CircuitState {
  /** Consecutive failures. */
  failures: number;
  /** Set while the circuit is open (or half-open once the recovery time has passed). */
  openedAt?: number;
  /** When the half-open trial call started; one trial at a time. */
  trialStartedAt?: number;
}

/**
 * Where circuit state lives. Every method is one conditional single-item write (DynamoDB has it, and
 * dynalite has no transactions), so all Lambdas share the state safely.
 */
export interface CircuitBreakerStore {
  /** The state of `host`, or undefined when there is none (or it expired). */
  read(host: string, now: number): Promise<CircuitState | undefined>;
  /** Counts one more consecutive failure; opens the circuit at `now` when `threshold` is reached and it is not open. */
  recordFailure(host: string, threshold: number, now: number): Promise<CircuitState>;
  /** Opens the circuit again at `now` (a half-open trial failed). */
  reopen(host: string, now: number): Promise<void>;
  /**
   * Claims the one half-open trial of the circuit opened at `openedAt`: true for the caller that
   * wins, false while another trial runs (one whose lease, `leaseMs`, has not run out).
   */
  claimTrial(host: string, openedAt: number, now: number, leaseMs: number): Promise<boolean>;
  /** Closes the circuit (a call succeeded). */
  reset(host: string): Promise<void>;
}

/** Circuit settings of one call (the http config's `circuitBreaker`). */
export interface CircuitSettings {
  failureThreshold: number;
  recoverySeconds: number;
  /** How long a half-open trial may take before another caller may try. */
  trialLeaseMs: number;
}

/**
 * A circuit breaker per target host: closed → (failureThreshold consecutive failures) → open, calls
 * fail fast with `CircuitOpen` → after recoverySeconds half-open, one trial call → success closes,
 * failure opens again. The clock is injected.
 */
export class CircuitBreaker {
  readonly #store: CircuitBreakerStore;
  readonly #now: () => number;

  constructor(options: { store: CircuitBreakerStore; now?: () => number }) {
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Runs `call` unless the circuit of `host` is open. `isFailure` says which errors count against
   * the host (5xx, timeouts, network errors — not a 4xx, which proves the host is up).
   */
  async run<T>(
    host: string,
    settings: CircuitSettings,
    call: () => Promise<T>,
    isFailure: (error: unknown) => boolean,
  ): Promise<T> {
    const now = this.#now();
    const state = await this.#store.read(host, now);
    let trial = false;
    if (state?.openedAt !== undefined) {
      const halfOpenAt = state.openedAt + settings.recoverySeconds * 1000;
      if (now < halfOpenAt)
        throw new CircuitOpenError(
          `circuit for ${host} is open after ${state.failures} consecutive failures; calls resume after ${new Date(halfOpenAt).toISOString()}`,
          { retryAfterSeconds: Math.ceil((halfOpenAt - now) / 1000) },
        );
      trial = await this.#store.claimTrial(host, state.openedAt, now, settings.trialLeaseMs);
      if (!trial)
        throw new CircuitOpenError(`circuit for ${host} is half-open and its one trial call is in progress`, {
          retryAfterSeconds: Math.max(1, Math.ceil(settings.trialLeaseMs / 1000)),
        });
    }
    let result: T;
    try {
      result = await call();
    } catch (error) {
      if (isFailure(error)) {
        if (trial) await this.#store.reopen(host, this.#now());
        else await this.#store.recordFailure(host, settings.failureThreshold, this.#now());
      } else if (trial || (state?.failures ?? 0) > 0) {
        await this.#store.reset(host);
      }
      throw error;
    }
    if (trial || (state?.failures ?? 0) > 0) await this.#store.reset(host);
    return result;
  }
}

/** A store in this process's memory: for local runs without a table and for unit tests. */
export class MemoryCircuitBreakerStore implements CircuitBreakerStore {
  readonly #states = new Map<string, CircuitState>();

  async read(host: string): Promise<CircuitState | undefined> {
    const state = this.#states.get(host);
    return state && { ...state };
  }

  async recordFailure(host: string, threshold: number, now: number): Promise<CircuitState> {
    const state = this.#states.get(host) ?? { failures: 0 };
    state.failures += 1;
    if (state.failures >= threshold && state.openedAt === undefined) state.openedAt = now;
    this.#states.set(host, state);
    return { ...state };
  }

  async reopen(host: string, now: number): Promise<void> {
    const state = this.#states.get(host) ?? { failures: 1 };
    state.openedAt = now;
    delete state.trialStartedAt;
    this.#states.set(host, state);
  }

  async claimTrial(host: string, openedAt: number, now: number, leaseMs: number): Promise<boolean> {
    const state = this.#states.get(host);
    if (!state || state.openedAt !== openedAt) return false;
    if (state.trialStartedAt !== undefined && state.trialStartedAt >= now - leaseMs) return false;
    state.trialStartedAt = now;
    return true;
  }

  async reset(host: string): Promise<void> {
    this.#states.delete(host);
  }
}
