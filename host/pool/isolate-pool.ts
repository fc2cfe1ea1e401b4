/**
 * Pre-initialised isolates: each has its context and the whole runtime evaluated
 * already, so a cold start only compiles and evaluates the function itself. The
 * pool is refilled in the background, one isolate at a time, off the request path.
 */
import type { CreateSandbox, Sandbox, SandboxOptions } from '../isolate/api.js';
import type { Logger } from '../../common/log.js';

const REFILL_DELAY_MS = 25;

export class IsolatePool {
  readonly #ready: Sandbox[] = [];
  readonly #create: CreateSandbox;
  readonly #options: SandboxOptions;
  readonly #target: number;
  readonly #log: Logger;
  #filling = false;
  #refillTimer: NodeJS.Timeout | undefined;
  #closed = false;
  misses = 0;
  hits = 0;

  constructor(create: CreateSandbox, options: SandboxOptions & { size: number; log: Logger }) {
    this.#create = create;
    this.#options = { memoryLimitMb: options.memoryLimitMb, ...(options.onConsole ? { onConsole: options.onConsole } : {}), ...(options.dispatchInternal ? { dispatchInternal: options.dispatchInternal } : {}) };
    this.#target = options.size;
    this.#log = options.log;
  }

  get size(): number {
    return this.#ready.length;
  }

  get memoryLimitMb(): number {
    return this.#options.memoryLimitMb;
  }

  /**
   * Takes a ready isolate, or creates one on the spot (a pool miss) when none is
   * left. The refill starts a little later: creating an isolate is tens of
   * milliseconds of CPU, and on a small machine it would slow the very cold start
   * that triggered it.
   */
  async take(): Promise<{ sandbox: Sandbox; hit: boolean }> {
    const sandbox = this.#ready.pop();
    if (!this.#refillTimer) {
      this.#refillTimer = setTimeout(() => {
        this.#refillTimer = undefined;
        this.refill();
      }, REFILL_DELAY_MS);
      this.#refillTimer.unref();
    }
    if (sandbox) {
      this.hits++;
      return { sandbox, hit: true };
    }
    this.misses++;
    return { sandbox: await this.#create(this.#options), hit: false };
  }

  /** Starts filling the pool up to its target in the background (no-op while already filling). */
  refill(): void {
    if (this.#filling || this.#closed || this.#ready.length >= this.#target) return;
    this.#filling = true;
    const next = (): void => {
      if (this.#closed || this.#ready.length >= this.#target) {
        this.#filling = false;
        return;
      }
      this.#create(this.#options).then(
        (s) => {
          if (this.#closed) s.dispose();
          else this.#ready.push(s);
          setImmediate(next);
        },
        (e: unknown) => {
          this.#filling = false;
          this.#log.error('could not pre-initialise an isolate', { error: e instanceof Error ? e.message : String(e) });
        },
      );
    };
    setImmediate(next);
  }

  /** Resolves once the pool holds its target number of isolates (start-up). */
  async fill(): Promise<void> {
    while (!this.#closed && this.#ready.length < this.#target) {
      this.#ready.push(await this.#create(this.#options));
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#refillTimer);
    for (const s of this.#ready.splice(0)) s.dispose();
  }
}
