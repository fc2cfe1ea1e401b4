/**
 * A minimal abort signal for the request path. Node's AbortController is an
 * EventTarget (event objects, listener maps, per-instance symbols): two per request
 * cost measurable CPU on a hot path that needs only "tell these callbacks once".
 * Structurally the subset of AbortSignal the host uses, so a real AbortSignal can
 * be passed wherever this is accepted.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export class Abort implements AbortSignalLike {
  aborted = false;
  reason: unknown = undefined;
  #listeners: (() => void)[] | undefined;

  /** Itself: controller and signal in one object, as the request path has one owner. */
  get signal(): AbortSignalLike {
    return this;
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? new Error('aborted');
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        listener();
      } catch (e) {
        // As EventTarget does: a throwing listener neither stops the others nor reaches abort()'s caller.
        process.nextTick(() => {
          throw e;
        });
      }
    }
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.#listeners;
    const i = listeners ? listeners.indexOf(listener) : -1;
    if (i >= 0) listeners!.splice(i, 1);
  }
}
