/**
 * createSandbox: one isolated-vm Isolate + Context with the isotel runtime
 * evaluated (from the build's V8 code cache), ready to load a function.
 *
 * The boundary (sdk/protocol/entry.ts): the host calls runtime entry methods with
 * copied primitives and bytes; the runtime answers through one fire-and-forget `op`
 * callback. Entry methods never throw, so a rejected call is an unhandled promise
 * rejection inside the isolate (isolated-vm reports those to the running call) or a
 * disposed isolate. No Reference ever reaches user code: the bootstrap global is
 * captured and deleted by the runtime's first file.
 */
import ivm from 'isolated-vm';
import { randomFillSync, randomUUID } from 'node:crypto';
import type { AbortSignalLike } from '../../common/abort.js';
import { IsotelError } from '../../common/errors.js';
import { BODY_BYTES, BODY_NONE, BODY_STREAM, BOOTSTRAP_GLOBAL, type BodyMode } from '../../sdk/protocol/entry.js';
import type { TelemetrySink } from './api.js';
import type { ConsoleRecord, CreateSandbox, InvokeOptions, InvokeRequest, InvokeResponse, LoadOptions, LoadResult, Sandbox, SandboxOptions } from './api.js';
import { CompressionOps } from './compression.js';
import { CryptoOps } from './crypto.js';
import { EgressOps } from './egress.js';
import { loadRuntime } from './runtime-bundle.js';
import { createLogger } from '../../common/log.js';

const log = createLogger('isolate');

const SEVERITY: Record<number, ConsoleRecord['severityText']> = { 5: 'DEBUG', 9: 'INFO', 13: 'WARN', 17: 'ERROR' };
const EVALUATE_TIMEOUT_MS = 5_000;
/** isolated-vm's own message when it disposed an isolate for its heap limit (only trusted once the isolate is disposed: user code can throw any text). */
const MEMORY_LIMIT_MESSAGE = /^Isolate was disposed during execution due to memory limit$/;

type EntryMethod = 'warmup' | 'warmupSync' | 'compact' | 'uncaughtError' | 'attach' | 'invoke' | 'invokeSync' | 'pull' | 'cancel' | 'abort' | 'complete' | 'unhandledRejection' | 'builtinModule' | 'builtinModuleNames';
const ENTRY_METHODS: readonly EntryMethod[] = ['warmup', 'warmupSync', 'compact', 'uncaughtError', 'attach', 'invoke', 'invokeSync', 'pull', 'cancel', 'abort', 'complete', 'unhandledRejection', 'builtinModule', 'builtinModuleNames'];

interface Deferred<T> { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void }
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

interface Invocation {
  readonly id: string;
  readonly response: Deferred<InvokeResponse>;
  readonly done: Deferred<void>;
  settled: boolean;
  cleanup: () => void;
}

/** Location of an error from V8: `[file:line:col]` in compile errors, `at file:line:col` in stacks. */
export function errorLocation(e: unknown, file: string): { file: string; line: number; column: number } | undefined {
  const text = `${(e as { message?: string })?.message ?? ''}\n${(e as { stack?: string })?.stack ?? ''}`;
  const esc = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`${esc}:(\\d+):(\\d+)`).exec(text);
  return m ? { file, line: Number(m[1]), column: Number(m[2]) } : undefined;
}

function plainMessage(e: unknown): string {
  return String((e as { message?: unknown })?.message ?? e).replace(/ \[[^\]]*:\d+:\d+\]$/, '');
}

export interface SandboxExtras {
  /** An error nobody handled inside the isolate (uncaught exception in a timer or listener, unhandled rejection). */
  readonly onUncaught?: (error: { name: string; message: string; stack: string }) => void;
}

class IsolateSandbox implements Sandbox {
  readonly #isolate: ivm.Isolate;
  readonly #context: ivm.Context;
  readonly #options: SandboxOptions & SandboxExtras;
  readonly #entry = new Map<EntryMethod, ivm.Reference<(...args: unknown[]) => unknown>>();
  readonly #invocations = new Map<string, Invocation>();
  readonly #timers = new Map<number, { t: NodeJS.Timeout; held: number }>();
  readonly #pulls = new Map<number, Deferred<Uint8Array | null>>();
  /** Request bodies being streamed into the isolate, by invocation id (outlive 'done' when a response pipes them). */
  readonly #requestBodies = new Map<string, AsyncIterator<Uint8Array>>();
  readonly #crypto = new CryptoOps();
  readonly #zlib = new CompressionOps();
  readonly #egress: EgressOps;
  readonly #timeOrigin = performance.now();
  #builtins: string[] = [];
  /** Where drained author telemetry goes: set by traced invocations (one sink per function instance). */
  #telemetrySink: TelemetrySink | undefined;
  #disposed = false;
  #memoryExceeded = false;
  #loaded = false;
  /** Host operations still outstanding (timers, fetches, body reads): `isotel run` waits for zero. */
  #pendingOps = 0;
  /** Asynchronous entry calls not yet returned (a synchronous call would wait for the isolate's lock). */
  #callsInFlight = 0;
  #synchronousInvocations = 0;
  #idleWaiters: Array<() => void> = [];
  #holds = 0;
  /** The script-form function loaded here (warmCodeCache recompiles it to hit V8's compilation cache). */
  #scriptSource: { source: string; filename: string } | undefined;
  #keepAlive: NodeJS.Timeout | undefined;

  constructor(isolate: ivm.Isolate, context: ivm.Context, options: SandboxOptions & SandboxExtras) {
    this.#isolate = isolate;
    this.#context = context;
    this.#options = options;
    this.#egress = new EgressOps(options, (id, ok, value) => this.#complete(id, ok, value), (delta) => this.#trackOps(delta));
  }

  async init(code: string, cache: Buffer | undefined): Promise<{ cacheRejected: boolean }> {
    const op = new ivm.Callback((name: string, ...args: unknown[]) => this.#onOp(name, args), { ignored: true });
    const opSync = new ivm.Callback((name: string, ...args: unknown[]) => {
      // Runs inside the isolate's call: a host-side failure must not surface as an exception in the function.
      try {
        this.#onOp(name, args);
      } catch (e) {
        log.error('a synchronous op failed on the host', { op: name, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      }
    }, { sync: true });
    const randomBytes = new ivm.Callback((n: number) => {
      if (!Number.isInteger(n) || n < 0 || n > 65536) throw new RangeError(`randomBytes: ${n} is not in [0, 65536]`);
      return randomFillSync(new Uint8Array(n));
    });
    const now = new ivm.Callback(() => performance.now() - this.#timeOrigin);
    await this.#context.evalClosure(`globalThis.${BOOTSTRAP_GLOBAL} = { op: $0, randomBytes: $1, now: $2, timeOrigin: $3, opSync: $4 };`, [op, randomBytes, now, performance.timeOrigin + this.#timeOrigin, opSync]);
    const script = await this.#isolate.compileScript(code, { filename: 'isotel:runtime', ...(cache ? { cachedData: new ivm.ExternalCopy(cache.buffer.slice(cache.byteOffset, cache.byteOffset + cache.byteLength)) as ivm.ExternalCopy<ArrayBuffer> } : {}) });
    const cacheRejected = cache === undefined || (script as { cachedDataRejected?: boolean }).cachedDataRejected === true;
    const ns = (await script.run(this.#context, { reference: true, release: true })) as ivm.Reference<Record<string, unknown>>;
    // The completion value is the bundle's module namespace (accessor properties, which References cannot read): copy to a plain object.
    const plain = (await this.#context.evalClosure('const ns = $0; const o = {}; for (const k of Object.keys(ns)) o[k] = ns[k]; return o;', [ns.derefInto()], { result: { reference: true } })) as unknown as ivm.Reference<Record<string, unknown>>;
    ns.release();
    for (const m of ENTRY_METHODS) this.#entry.set(m, (await plain.get(m, { reference: true })) as ivm.Reference<(...args: unknown[]) => unknown>);
    plain.release();
    this.#builtins = (await this.#entry.get('builtinModuleNames')!.apply(undefined, [], { result: { copy: true } })) as string[];
    // Pool time: compile the request path now, not on the first real request.
    await this.#entry.get('warmup')!.apply(undefined, []);
    this.#entry.get('warmupSync')!.applySync(undefined, [], { timeout: 1000 });
    return { cacheRejected };
  }

  get disposed(): boolean {
    return this.#disposed || this.#isolate.isDisposed;
  }

  // ---- calls into the isolate
  #call(method: EntryMethod, args: unknown[]): void {
    if (this.disposed) return;
    this.#trackOps(1);
    this.#callsInFlight++;
    this.#entry.get(method)!.apply(undefined, args, { arguments: { copy: true } })
      .catch((e: unknown) => this.#onCallRejected(e))
      .finally(() => { this.#callsInFlight--; this.#trackOps(-1); });
  }

  /** A synchronous entry call; returns true when it ran out of its time (the isolate's JS was terminated). */
  #callSync(method: EntryMethod, args: unknown[], timeoutMs: number): boolean {
    try {
      this.#entry.get(method)!.applySync(undefined, args, { arguments: { copy: true }, timeout: timeoutMs });
      return false;
    } catch (e) {
      if (!this.#isolate.isDisposed && /timed out/i.test(String((e as Error)?.message))) return true;
      this.#onCallRejected(e);
      return false;
    }
  }

  #complete(id: number, ok: boolean, value: unknown): void {
    this.#call('complete', [id, ok, value]);
  }

  #onCallRejected(e: unknown): void {
    if (this.#isolate.isDisposed) {
      if (!this.#disposed && MEMORY_LIMIT_MESSAGE.test(String((e as Error)?.message))) this.#memoryExceeded = true;
      this.#teardown();
      return;
    }
    // An unhandled rejection inside the isolate: fire `unhandledrejection` there; report it when nobody handled it.
    this.#reportInside(copiedError(e), 'unhandledRejection', 'Uncaught (in promise) ');
  }

  /** Fires the matching event on the isolate's global; reports the error when no listener handled it. */
  #reportInside(err: { name: string; message: string; stack: string }, method: 'unhandledRejection' | 'uncaughtError', prefix: string): Promise<void> {
    this.#trackOps(1);
    this.#callsInFlight++;
    return this.#entry.get(method)!.apply(undefined, [err.name, err.message, err.stack], { arguments: { copy: true }, result: { copy: true } }).then(
      (handled) => { if (!handled) this.#uncaught(err, prefix); },
      () => this.#uncaught(err, prefix),
    ).finally(() => { this.#callsInFlight--; this.#trackOps(-1); });
  }

  #uncaught(err: { name: string; message: string; stack: string }, prefix: string): void {
    const text = err.stack && err.stack.includes(err.message) ? err.stack : `${err.name ? err.name + ': ' : ''}${err.message}${err.stack ? '\n' + err.stack : ''}`;
    this.#options.onConsole?.({ invocationId: this.#soleInvocation(), severityNumber: 17, severityText: 'ERROR', message: prefix + text, timeUnixNano: nowUnixNano() });
    this.#options.onUncaught?.(err);
  }

  #soleInvocation(): string | undefined {
    return this.#invocations.size === 1 ? this.#invocations.keys().next().value : undefined;
  }

  #trackOps(delta: number): void {
    this.#pendingOps += delta;
    if (this.#pendingOps === 0 && this.#idleWaiters.length) {
      // Let the isolate run what the last completion queued before declaring idle.
      setImmediate(() => {
        if (this.#pendingOps !== 0) return;
        const w = this.#idleWaiters;
        this.#idleWaiters = [];
        for (const f of w) f();
      });
    }
  }

  // ---- ops from the isolate
  #onOp(name: string, args: unknown[]): void {
    if (this.#disposed) return;
    switch (name) {
      case 'console': {
        const [rawSeverity, invocationId, message] = args as [number, string, string];
        const severity = SEVERITY[rawSeverity] ? rawSeverity : 9;
        const record: ConsoleRecord = { invocationId: typeof invocationId === 'string' && invocationId ? invocationId : undefined, severityNumber: severity, severityText: SEVERITY[severity]!, message: String(message), timeUnixNano: nowUnixNano() };
        this.#options.onConsole?.(record);
        // A line of a traced invocation carries [traceId, spanId, traceFlags]: it becomes a log record (host/telemetry/bridge.ts).
        if (args.length > 3) this.#telemetrySink?.log(record, String(args[3]), String(args[4]), Number(args[5]));
        return;
      }
      case 'telemetry': {
        this.#telemetrySink?.batch(String(args[0]), String(args[1]));
        return;
      }
      case 'uncaught': {
        const [n, message, stack] = args as [string, string, string];
        this.#uncaught({ name: n, message, stack }, 'Uncaught ');
        return;
      }
      case 'respond':
        this.#onRespond(args as [string, number, string, string[], BodyMode, Uint8Array | number | null]);
        // The common case in one op: the handler responded and no waitUntil work is pending.
        if (args[6] === true) this.#onDone(args[0] as string);
        return;
      case 'fail': return this.#onFail(args as [string, string, string, string, string]);
      case 'done': return this.#onDone(args[0] as string);
      case 'chunk': {
        const [streamId, chunk, rawError] = args as [number, Uint8Array | null, string];
        const p = this.#pulls.get(streamId);
        if (!p) return;
        this.#pulls.delete(streamId);
        const error = rawError || (chunk !== null && !(chunk instanceof Uint8Array) ? 'a body chunk is not bytes' : '');
        if (error) p.reject(new IsotelError('ISOTEL_ERR_HANDLER_THREW', `the response body stream failed: ${error}`, { details: { name: 'StreamError', message: error } }));
        else p.resolve(chunk);
        return;
      }
      case 'sleep': {
        const [id, rawMs, weak] = args as [number, number, boolean | undefined];
        const ms = Number.isFinite(rawMs) ? Math.min(Math.max(0, rawMs), 2 ** 31 - 1) : 0;
        const held = weak ? 0 : 1; // weak timers (AbortSignal.timeout) are not pending work for idle()
        this.#trackOps(held);
        this.#timers.set(id, { held, t: setTimeout(() => {
          this.#timers.delete(id);
          this.#complete(id, true, undefined);
          this.#trackOps(-held);
        }, ms) });
        return;
      }
      case 'cancelSleep': {
        const t = this.#timers.get(args[0] as number);
        if (t) { clearTimeout(t.t); this.#timers.delete(args[0] as number); this.#trackOps(-t.held); }
        return;
      }
      case 'hold': {
        const delta = Math.sign(args[0] as number);
        this.#holds += delta;
        this.#trackOps(delta);
        // V8 posts the result of async wasm compilation as a foreground task, which isolated-vm runs only when the
        // isolate is next entered: enter it (a no-op call) every few ms while such work is pending.
        if (this.#holds > 0) this.#keepAlive ??= setInterval(() => this.#call('complete', [0, true, null]), 2);
        else if (this.#keepAlive) { clearInterval(this.#keepAlive); this.#keepAlive = undefined; }
        return;
      }
      case 'reqRead': return this.#onReqRead(args[0] as number, args[1] as string);
      case 'reqCancel': {
        const it = this.#requestBodies.get(args[0] as string);
        this.#requestBodies.delete(args[0] as string);
        it?.return?.().catch(() => {});
        return;
      }
      case 'fetch': case 'fetchAbort': case 'fetchRead': case 'fetchCancel':
        this.#egress.handle(name, args, (streamId) => this.#pullAsIterable(streamId));
        return;
      case 'cryptoRelease': this.#crypto.release(args[0] as number); return;
      case 'zlibClose': this.#zlib.close(args[0] as number); return;
      case 'zlib': {
        const [id, handle, format, decompress, chunk, final] = args as [number, number, string, boolean, Uint8Array | null, boolean];
        this.#trackOps(1);
        this.#zlib.push(handle, format, decompress, chunk, final).then(
          (out) => this.#complete(id, true, out),
          (e: unknown) => this.#complete(id, false, [String((e as Error)?.name ?? 'TypeError'), String((e as Error)?.message ?? e)]),
        ).finally(() => this.#trackOps(-1));
        return;
      }
      case 'crypto': {
        const [id, method, cargs] = args as [number, string, unknown[]];
        this.#trackOps(1);
        this.#crypto.run(method, cargs).then(
          (result) => this.#complete(id, true, result),
          (e: unknown) => this.#complete(id, false, [String((e as Error)?.name ?? 'Error'), String((e as Error)?.message ?? e)]),
        ).finally(() => this.#trackOps(-1));
        return;
      }
      default:
        this.#options.onConsole?.({ invocationId: undefined, severityNumber: 17, severityText: 'ERROR', message: `isotel: unknown op ${JSON.stringify(name)} from the runtime`, timeUnixNano: nowUnixNano() });
    }
  }

  #onReqRead(id: number, invocationId: string): void {
    const it = this.#requestBodies.get(invocationId);
    if (!it) { this.#complete(id, true, null); return; }
    this.#trackOps(1);
    it.next().then(
      (r) => {
        if (r.done) { this.#requestBodies.delete(invocationId); this.#complete(id, true, null); return; }
        const v = r.value;
        if (!(v instanceof Uint8Array)) throw new TypeError('request body chunks must be Uint8Array');
        this.#complete(id, true, v);
      },
    ).catch((e: unknown) => this.#complete(id, false, ['TypeError', `reading the request body failed: ${(e as Error)?.message ?? e}`]))
      .finally(() => this.#trackOps(-1));
  }

  #onRespond([invocationId, status, statusText, flat, mode, payload]: [string, number, string, string[], BodyMode, Uint8Array | number | null]): void {
    const inv = this.#invocations.get(invocationId);
    if (!inv || inv.settled) {
      // Aborted meanwhile: release a stream the host will never read.
      if (mode === BODY_STREAM) this.#call('cancel', [payload, 'the invocation ended']);
      return;
    }
    inv.settled = true;
    // The runtime validated all of this, but it shares the isolate with user code that can tamper with its
    // builtins: the host re-checks what the gateway will put on the wire.
    const invalid = responseProblem(status, statusText, flat, mode, payload);
    if (invalid) {
      if (mode === BODY_STREAM) this.#call('cancel', [payload, 'invalid response']);
      inv.response.reject(new IsotelError('ISOTEL_ERR_HANDLER_BAD_RESPONSE', `the function's response is invalid: ${invalid}`, { details: { name: 'TypeError', message: invalid } }));
      return;
    }
    const headers: Array<[string, string]> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) headers.push([flat[i]!, flat[i + 1]!]);
    const body = mode === BODY_NONE ? null : mode === BODY_BYTES ? (payload as Uint8Array) : this.#pullAsIterable(payload as number);
    inv.response.resolve({ status, statusText, headers, body, waitUntil: inv.done.promise } as InvokeResponse);
  }

  #onFail([invocationId, kind, errName, message, stack]: [string, string, string, string, string]): void {
    const inv = this.#invocations.get(invocationId);
    if (!inv || inv.settled) return;
    inv.settled = true;
    const details = { name: errName, message, stack };
    inv.response.reject(kind === 'bad_response'
      ? new IsotelError('ISOTEL_ERR_HANDLER_BAD_RESPONSE', message, { details })
      : new IsotelError('ISOTEL_ERR_HANDLER_THREW', `${errName}: ${message}`, { details }));
  }

  /** A response stream in the isolate, read one pull at a time (backpressure: nothing is read ahead). */
  #pullAsIterable(streamId: number): AsyncIterable<Uint8Array> {
    let finished = false;
    const next = async (): Promise<IteratorResult<Uint8Array>> => {
      if (finished) return { done: true, value: undefined };
      if (this.disposed) { finished = true; throw this.#disposedError(); }
      const d = deferred<Uint8Array | null>();
      this.#pulls.set(streamId, d);
      this.#call('pull', [streamId]);
      try {
        const chunk = await d.promise;
        if (chunk === null) { finished = true; return { done: true, value: undefined }; }
        return { done: false, value: chunk };
      } catch (e) { finished = true; throw e; }
    };
    const stop = async (): Promise<IteratorResult<Uint8Array>> => {
      if (!finished) { finished = true; this.#call('cancel', [streamId, 'the consumer stopped reading']); }
      return { done: true, value: undefined };
    };
    return { [Symbol.asyncIterator]: () => ({ next, return: stop }) };
  }

  #onDone(invocationId: string): void {
    const inv = this.#invocations.get(invocationId);
    if (inv) { this.#invocations.delete(inv.id); inv.done.resolve(); inv.cleanup(); }
    this.#egress.endInvocation(invocationId, this.#invocations.size === 0);
  }

  #disposedError(): IsotelError {
    return this.#memoryExceeded
      ? new IsotelError('ISOTEL_ERR_LIMIT_MEMORY', `the isolate exceeded its memory limit of ${this.#options.memoryLimitMb} MiB and was disposed`, { details: { memoryLimitMb: this.#options.memoryLimitMb } })
      : new IsotelError('ISOTEL_ERR_SANDBOX_DISPOSED', 'the isolate was disposed before the invocation finished');
  }

  // ---- Sandbox API
  async load(source: string, options: LoadOptions): Promise<LoadResult> {
    if (this.disposed) throw this.#disposedError();
    if (this.#loaded) throw new IsotelError('ISOTEL_ERR_INTERNAL', 'this sandbox already has a function loaded; take a fresh one from the pool');
    this.#loaded = true;
    const file = options.filename;
    if (options.egress) this.#egress.configure(options.egress);
    if (options.format === 'script') return this.#loadScript(source, options);
    const t0 = process.hrtime.bigint();
    // isolated-vm 5.0.4 compiles modules with kNoCompileOptions: V8 neither consumes nor reports on cached data for
    // modules (module/isolate_handle.cc), so there is no module code cache to produce or hit. Reported as a miss.
    let mod: ivm.Module;
    try {
      mod = await this.#isolate.compileModule(source, { filename: file });
    } catch (e) {
      throw this.#loadError('ISOTEL_ERR_DEPLOY_COMPILE', e, file);
    }
    const codeCacheHit = false;
    for (const spec of mod.dependencySpecifiers) {
      if (!this.#builtins.includes(spec)) {
        throw new IsotelError('ISOTEL_ERR_DEPLOY_COMPILE', `${file} imports ${JSON.stringify(spec)}, which is not available: a function is one self-contained module (bundle its dependencies); built-in modules are ${this.#builtins.map((b) => JSON.stringify(b)).join(', ') || 'none'}`, { details: { file, import: spec, ...(locateImport(source, spec) ?? {}) } });
      }
    }
    const compileNs = process.hrtime.bigint() - t0;
    const evaluateTimeoutMs = options.evaluateTimeoutMs ?? EVALUATE_TIMEOUT_MS;
    const t1 = process.hrtime.bigint();
    try {
      await mod.instantiate(this.#context, (spec) => this.#builtinModule(spec));
      await mod.evaluate({ timeout: evaluateTimeoutMs });
    } catch (e) {
      throw this.#evaluateError(e, file, evaluateTimeoutMs);
    }
    const env = JSON.stringify(options.env ?? {});
    const mode = (await this.#entry.get('attach')!.apply(undefined, [mod.namespace.derefInto(), env], { result: { copy: true } })) as string;
    const evaluateNs = process.hrtime.bigint() - t1;
    if (!mode) throw new IsotelError('ISOTEL_ERR_DEPLOY_NO_HANDLER', `${file} has no fetch handler: export default { fetch(request, env, ctx) { … } }, or addEventListener('fetch', (event) => event.respondWith(…))`, { details: { file } });
    return { codeCacheHit, cachedData: undefined, compileNs, evaluateNs };
  }

  /**
   * Script form (host/registry/transpile.ts): a classic script whose completion
   * value is a factory `(require) => exports`. Unlike modules, scripts compile with
   * V8 code cache: produced on the first load of a version, consumed afterwards.
   */
  async #loadScript(source: string, options: LoadOptions): Promise<LoadResult> {
    const file = options.filename;
    this.#scriptSource = { source, filename: file };
    for (const m of source.matchAll(/\brequire\("((?:[^"\\]|\\.)*)"\)/g)) {
      const spec = JSON.parse(`"${m[1]}"`) as string;
      if (!this.#builtins.includes(spec)) {
        throw new IsotelError('ISOTEL_ERR_DEPLOY_COMPILE', `${file} imports ${JSON.stringify(spec)}, which is not available: a function is one self-contained module (bundle its dependencies); built-in modules are ${this.#builtins.map((b) => JSON.stringify(b)).join(', ') || 'none'}`, { details: { file, import: spec } });
      }
    }
    const t0 = process.hrtime.bigint();
    const given = options.cachedData;
    // Synchronous: every step runs on this thread (no thread-pool hops), each bounded by the sync timeout.
    const sync = options.syncTimeoutMs;
    const evaluateTimeoutMs = sync ?? options.evaluateTimeoutMs ?? EVALUATE_TIMEOUT_MS;
    const compileOptions = {
      filename: file,
      produceCachedData: true,
      ...(given ? { cachedData: new ivm.ExternalCopy(given.buffer.slice(given.byteOffset, given.byteOffset + given.byteLength)) as ivm.ExternalCopy<ArrayBuffer> } : {}),
    };
    let script: ivm.Script;
    try {
      script = sync ? this.#isolate.compileScriptSync(source, compileOptions) : await this.#isolate.compileScript(source, compileOptions);
    } catch (e) {
      throw this.#loadError('ISOTEL_ERR_DEPLOY_COMPILE', e, file);
    }
    const codeCacheHit = given !== undefined && (script as { cachedDataRejected?: boolean }).cachedDataRejected !== true;
    const out = (script as { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
    const produced = !codeCacheHit && out ? new Uint8Array(out.copy()) : undefined;
    const compileNs = process.hrtime.bigint() - t0;
    const t1 = process.hrtime.bigint();
    const env = JSON.stringify(options.env ?? {});
    const attach = this.#entry.get('attach')!;
    let mode: string;
    try {
      const timeout = { timeout: evaluateTimeoutMs };
      const require = this.#entry.get('builtinModule')!.derefInto();
      let exportsRef: ivm.Reference<object>;
      if (sync) {
        const factory = script.runSync(this.#context, { reference: true, ...timeout }) as ivm.Reference<(require: unknown) => object>;
        // `require` is the runtime's builtinModule: every specifier was checked above.
        exportsRef = factory.applySync(undefined, [require], { result: { reference: true }, ...timeout }) as ivm.Reference<object>;
        factory.release();
        mode = attach.applySync(undefined, [exportsRef.derefInto(), env], { result: { copy: true }, ...timeout }) as string;
      } else {
        const factory = (await script.run(this.#context, { reference: true, ...timeout })) as ivm.Reference<(require: unknown) => object>;
        exportsRef = (await factory.apply(undefined, [require], { result: { reference: true }, ...timeout })) as ivm.Reference<object>;
        factory.release();
        mode = (await attach.apply(undefined, [exportsRef.derefInto(), env], { result: { copy: true }, ...timeout })) as string;
      }
      exportsRef.release();
      script.release();
    } catch (e) {
      throw this.#evaluateError(e, file, evaluateTimeoutMs, sync !== undefined);
    }
    const evaluateNs = process.hrtime.bigint() - t1;
    if (!mode) throw new IsotelError('ISOTEL_ERR_DEPLOY_NO_HANDLER', `${file} has no fetch handler: export default { fetch(request, env, ctx) { … } }, or addEventListener('fetch', (event) => event.respondWith(…))`, { details: { file } });
    return { codeCacheHit, cachedData: produced, compileNs, evaluateNs };
  }

  async #builtinModule(spec: string): Promise<ivm.Module> {
    if (!this.#builtins.includes(spec)) throw new IsotelError('ISOTEL_ERR_DEPLOY_COMPILE', `unknown module ${JSON.stringify(spec)}`, { details: { import: spec } });
    const ref = (await this.#entry.get('builtinModule')!.apply(undefined, [spec], { arguments: { copy: true }, result: { reference: true } })) as unknown as ivm.Reference<Record<string, unknown>>;
    const names = (await this.#context.evalClosure('return Object.keys($0)', [ref.derefInto()], { result: { copy: true } })) as string[];
    const ident = names.filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
    // Handed over through a one-shot global with an unguessable name that the module deletes as it evaluates,
    // before any user code runs (import.meta callbacks must be isolate-side functions).
    const slot = `__isotel_builtin_${randomUUID().replace(/-/g, '')}`;
    const code = `const m = globalThis.${slot};\ndelete globalThis.${slot};\nexport default m;\n${ident.map((n) => `export const ${n} = m.${n};`).join('\n')}`;
    await this.#context.global.set(slot, ref.derefInto());
    ref.release();
    const m = await this.#isolate.compileModule(code, { filename: spec });
    await m.instantiate(this.#context, () => { throw new IsotelError('ISOTEL_ERR_INTERNAL', 'built-in modules have no imports'); });
    await m.evaluate();
    return m;
  }

  /** What a failed top-level evaluation (module or script form) becomes. */
  #evaluateError(e: unknown, file: string, timeoutMs: number, synchronous = false): IsotelError {
    if (this.disposed) return this.#disposedError();
    if (e instanceof IsotelError) return e;
    if (/timed out/i.test(String((e as Error)?.message))) {
      // `synchronous`: the bound was the synchronous-load budget, not the function's evaluate limit (the caller may retry asynchronously).
      return new IsotelError('ISOTEL_ERR_DEPLOY_EVALUATE', `${file}: the top level ran longer than ${timeoutMs} ms`, { details: { file, timeoutMs, ...(synchronous ? { synchronous } : {}) } });
    }
    return this.#loadError('ISOTEL_ERR_DEPLOY_EVALUATE', e, file);
  }

  #loadError(code: 'ISOTEL_ERR_DEPLOY_COMPILE' | 'ISOTEL_ERR_DEPLOY_EVALUATE', e: unknown, file: string): IsotelError {
    if (e instanceof IsotelError) return e;
    const loc = errorLocation(e, file);
    const name = String((e as Error)?.name ?? 'Error');
    const message = plainMessage(e);
    const where = loc ? `${loc.file}:${loc.line}:${loc.column}` : file;
    const what = code === 'ISOTEL_ERR_DEPLOY_COMPILE' ? 'does not compile' : 'threw while evaluating its top level';
    return new IsotelError(code, `${where}: ${file} ${what}: ${name}: ${message}`, { details: { file, line: loc?.line, column: loc?.column, name, message } });
  }

  invoke(request: InvokeRequest, options: InvokeOptions): Promise<InvokeResponse> {
    if (this.disposed) return Promise.reject(this.#disposedError());
    if (!this.#loaded) return Promise.reject(new IsotelError('ISOTEL_ERR_DEPLOY_NO_HANDLER', 'no function is loaded in this sandbox'));
    const id = options.invocationId;
    if (this.#invocations.has(id)) return Promise.reject(new IsotelError('ISOTEL_ERR_INTERNAL', `invocation id ${id} is already in flight in this sandbox`));
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    const inv: Invocation = { id, response: deferred(), done: deferred(), settled: false, cleanup: () => {} };
    inv.done.promise.catch(() => {});
    let mode: BodyMode = BODY_NONE;
    let bytes: Uint8Array | null = null;
    const b = request.body;
    if (b instanceof Uint8Array) { mode = BODY_BYTES; bytes = b; }
    else if (b !== null && b !== undefined) { mode = BODY_STREAM; this.#requestBodies.set(id, b[Symbol.asyncIterator]()); }
    if (signal) {
      const onAbort = () => {
        this.#call('abort', [id, String((signal.reason as Error)?.message ?? 'aborted')]);
        const it = this.#requestBodies.get(id);
        this.#requestBodies.delete(id);
        it?.return?.().catch(() => {});
        if (!inv.settled) { inv.settled = true; inv.response.reject(abortedError(signal)); }
        inv.done.reject(abortedError(signal));
        this.#invocations.delete(id);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      inv.cleanup = () => signal.removeEventListener('abort', onAbort);
    }
    this.#invocations.set(id, inv);
    const flat: string[] = [];
    for (const [n, v] of request.headers) flat.push(n, v);
    if (options.trace) this.#telemetrySink = options.trace.sink;
    const args = [id, request.method, request.url, flat, mode, bytes, options.trace?.args ?? null];
    // Nothing else runs in the isolate: call it on this thread (no thread-pool hop; its ops arrive during the call).
    const sync = options.syncTimeoutMs;
    if (sync && this.#callsInFlight === 0) {
      this.#synchronousInvocations++;
      if (this.#callSync('invokeSync', args, sync)) {
        // Terminated mid-handler: the runtime's state for this invocation is gone with it.
        const error = new IsotelError('ISOTEL_ERR_LIMIT_CPU_TIME', `the invocation ran longer than its CPU-time limit of ${sync} ms; its isolate was stopped`, { details: { cpuMs: sync } });
        this.#invocations.delete(id);
        inv.cleanup();
        if (!inv.settled) { inv.settled = true; inv.response.reject(error); }
        inv.done.reject(error);
      }
    } else this.#call('invoke', args);
    return inv.response.promise;
  }

  /** Runs a classic script (isotel run): resolves when it and all work it scheduled are idle. */
  async runScript(source: string, filename: string): Promise<void> {
    if (this.disposed) throw this.#disposedError();
    let script: ivm.Script;
    try {
      script = await this.#isolate.compileScript(source, { filename });
    } catch (e) {
      throw this.#loadError('ISOTEL_ERR_DEPLOY_COMPILE', e, filename);
    }
    try {
      await script.run(this.#context, { release: true });
    } catch (e) {
      if (this.disposed) throw this.#disposedError();
      // A top-level throw (or an unhandled rejection isolated-vm reports at the end of the script's task).
      await this.#reportInside(copiedError(e), 'uncaughtError', 'Uncaught ');
    }
    await this.idle();
  }

  /** Runs an ES module (isotel run --module); built-in imports only. */
  async runModule(source: string, filename: string): Promise<void> {
    if (this.disposed) throw this.#disposedError();
    let mod: ivm.Module;
    try {
      mod = await this.#isolate.compileModule(source, { filename });
    } catch (e) {
      throw this.#loadError('ISOTEL_ERR_DEPLOY_COMPILE', e, filename);
    }
    for (const spec of mod.dependencySpecifiers) {
      if (!this.#builtins.includes(spec)) throw new IsotelError('ISOTEL_ERR_DEPLOY_COMPILE', `${filename} imports ${JSON.stringify(spec)}, which is not available (built-in modules: ${this.#builtins.join(', ')})`, { details: { file: filename, import: spec } });
    }
    try {
      await mod.instantiate(this.#context, (spec) => this.#builtinModule(spec));
      await mod.evaluate();
    } catch (e) {
      if (this.disposed) throw this.#disposedError();
      if (e instanceof IsotelError) throw e;
      await this.#reportInside(copiedError(e), 'uncaughtError', 'Uncaught ');
    }
    await this.idle();
  }

  /** Resolves when no host operation (timer, fetch, body read, crypto) is outstanding. */
  idle(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#trackOps(0);
    });
  }

  /** Full garbage collection with memory given back to the OS (~20–30 ms of isolate-thread time): for idle instances. */
  async compact(): Promise<void> {
    if (this.disposed) return;
    this.#callsInFlight++;
    try {
      await this.#entry.get('compact')!.apply(undefined, []);
    } finally {
      this.#callsInFlight--;
    }
  }

  async heapStatistics(): Promise<{ usedHeapSize: number; totalHeapSize: number; externalSize: number }> {
    if (this.disposed) throw this.#disposedError();
    this.#callsInFlight++;
    const h = await this.#isolate.getHeapStatistics().finally(() => this.#callsInFlight--);
    return { usedHeapSize: h.used_heap_size, totalHeapSize: h.total_heap_size, externalSize: h.externally_allocated_size };
  }

  async warmCodeCache(): Promise<Uint8Array | undefined> {
    if (this.disposed || !this.#scriptSource) return undefined;
    // Same source and origin: V8 returns the script from its in-isolate compilation cache, with every function
    // compiled so far, and serialises all of it.
    this.#callsInFlight++;
    const script = await this.#isolate.compileScript(this.#scriptSource.source, { filename: this.#scriptSource.filename, produceCachedData: true }).finally(() => this.#callsInFlight--);
    const out = (script as { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
    script.release();
    return out ? new Uint8Array(out.copy()) : undefined;
  }

  get synchronousInvocations(): number {
    return this.#synchronousInvocations;
  }

  cpuTimeNs(): bigint {
    if (this.#isolate.isDisposed) return 0n;
    return this.#isolate.cpuTime;
  }

  /** true when the isolate was disposed because it exceeded its memory limit. */
  get memoryExceeded(): boolean {
    return this.#memoryExceeded;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#teardown();
  }

  #teardown(): void {
    const wasDisposed = this.#disposed;
    this.#disposed = true;
    if (!this.#isolate.isDisposed) {
      try { this.#isolate.dispose(); } catch { /* already going away */ }
    }
    if (wasDisposed) return;
    for (const t of this.#timers.values()) clearTimeout(t.t);
    this.#timers.clear();
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    this.#egress.dispose();
    this.#crypto.dispose();
    this.#zlib.dispose();
    const err = this.#disposedError();
    for (const inv of this.#invocations.values()) {
      if (!inv.settled) { inv.settled = true; inv.response.reject(err); }
      inv.done.reject(err);
      inv.cleanup();
    }
    this.#invocations.clear();
    for (const it of this.#requestBodies.values()) it.return?.().catch(() => {});
    this.#requestBodies.clear();
    for (const p of this.#pulls.values()) p.reject(err);
    this.#pulls.clear();
    this.#pendingOps = 0;
    for (const f of this.#idleWaiters.splice(0)) f();
  }
}

/** An error copied out of the isolate, with isolated-vm's host-side frames removed. */
function copiedError(e: unknown): { name: string; message: string; stack: string } {
  return { name: String((e as Error)?.name ?? 'Error'), message: String((e as Error)?.message ?? e), stack: String((e as Error)?.stack ?? '').replace(/\n\s+at \(<isolated-vm boundary>\)[\s\S]*$/, '') };
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = { test: (v: string) => !/[\r\n]/.test(v) && !v.includes('\u0000') };
/** Why a response from the isolate cannot go on the wire, or '' when it can. */
function responseProblem(status: unknown, statusText: unknown, flat: unknown, mode: unknown, payload: unknown): string {
  if (!Number.isInteger(status) || (status as number) < 200 || (status as number) > 599) return `status ${String(status)} is not in [200, 599]`;
  if (typeof statusText !== 'string' || !HEADER_VALUE.test(statusText)) return 'the status text is not a valid reason phrase';
  if (!Array.isArray(flat) || flat.length % 2 !== 0) return 'the header list is malformed';
  for (let i = 0; i < flat.length; i += 2) {
    const n = flat[i], v = flat[i + 1];
    if (typeof n !== 'string' || !HEADER_NAME.test(n)) return `${JSON.stringify(n)} is not a valid header name`;
    if (typeof v !== 'string' || !HEADER_VALUE.test(v) || /[\u0100-\uffff]/.test(v)) return `the value of header ${n} is not valid`;
  }
  if (mode === BODY_BYTES && !(payload instanceof Uint8Array)) return 'the body is not bytes';
  if (mode === BODY_STREAM && typeof payload !== 'number') return 'the body stream is malformed';
  if (mode !== BODY_NONE && mode !== BODY_BYTES && mode !== BODY_STREAM) return 'the body mode is unknown';
  return '';
}

function abortedError(signal: AbortSignalLike): IsotelError {
  const reason = signal.reason as { message?: string } | undefined;
  return new IsotelError('ISOTEL_ERR_INVOKE_ABORTED', `the invocation was aborted: ${reason?.message ?? String(reason)}`);
}

function nowUnixNano(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

function locateImport(source: string, spec: string): { line: number; column: number } | undefined {
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const c = lines[i]!.indexOf(JSON.stringify(spec).slice(1, -1));
    if (c >= 0 && /\bimport\b|\bfrom\b/.test(lines[i]!)) return { line: i + 1, column: c + 1 };
  }
  return undefined;
}

export type IsotelSandbox = Sandbox & {
  runScript(source: string, filename: string): Promise<void>;
  runModule(source: string, filename: string): Promise<void>;
  idle(): Promise<void>;
  readonly memoryExceeded: boolean;
};

/** Creates a sandbox: isolate + context + runtime evaluated (pool time, off the request path). */
export const createSandbox: CreateSandbox = (options) => createIsotelSandbox(options);

export async function createIsotelSandbox(options: SandboxOptions & SandboxExtras): Promise<IsotelSandbox> {
  const { code, cache } = loadRuntime();
  const isolate = new ivm.Isolate({
    memoryLimit: options.memoryLimitMb,
    onCatastrophicError: (message) => {
      // isolated-vm's advice: the process can no longer be trusted. Log and abort so the supervisor restarts the worker.
      log.error('isolated-vm catastrophic error; aborting the process', { message });
      process.abort();
    },
  });
  try {
    const context = await isolate.createContext();
    const sandbox = new IsolateSandbox(isolate, context, options);
    const { cacheRejected } = await sandbox.init(code, cache);
    if (cacheRejected) noteCacheRejected();
    return sandbox;
  } catch (e) {
    if (!isolate.isDisposed) isolate.dispose();
    if (e instanceof IsotelError) throw e;
    throw new IsotelError('ISOTEL_ERR_INTERNAL', `creating an isolate failed: ${(e as Error)?.message ?? e}`, { cause: e });
  }
}

let cacheRejectedCount = 0;
function noteCacheRejected(): void {
  // Falls back to a full compile: correct, only slower. Say so once per process.
  if (cacheRejectedCount++ === 0) log.warn('V8 rejected the runtime code cache (dist/runtime/runtime.cache); compiling the runtime without it');
}
/** How many sandboxes compiled the runtime without its code cache (benchmarks and tests read it). */
export function runtimeCacheRejections(): number {
  return cacheRejectedCount;
}
