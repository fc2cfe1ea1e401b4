/**
 * The seam between the density host (pool, worker, gateway, telemetry) and the
 * isolate layer (host/isolate/: the only code that imports isolated-vm).
 *
 * A Sandbox is one V8 isolate with one context in which the isotel runtime
 * (sdk/runtime, loaded as the built bundle dist/runtime/runtime.js + its V8 code
 * cache) has already been evaluated. Sandboxes are created ahead of need by the
 * pool, off the request path; a cold start takes one, loads a function version into
 * it and invokes it.
 *
 * Nothing in this file is isolated-vm specific: callers see bytes, strings, numbers.
 */

/** How a phase of a cold start went, in nanoseconds (process.hrtime.bigint differences). */
export interface LoadResult {
  /** true when V8 accepted the cached data given to load(). */
  readonly codeCacheHit: boolean;
  /** Code cache produced by this compile, when none was given or it was rejected; store it per version. */
  readonly cachedData: Uint8Array | undefined;
  readonly compileNs: bigint;
  readonly evaluateNs: bigint;
}

export interface LoadOptions {
  /** Shown in stack traces and compile errors, e.g. `hello.js`. */
  readonly filename: string;
  /** V8 code cache produced by an earlier load of the very same source. */
  readonly cachedData?: Uint8Array | undefined;
  /** The `env` object handed to the handler (string values only). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * 'module' (default): `source` is an ES module. 'script': `source` is a classic
   * script whose completion value is a factory `(require) => moduleExports`
   * (host/registry/transpile.ts), which V8 can compile from code cache.
   */
  readonly format?: 'module' | 'script';
  /** The function's outbound fetch() policy (replaces the one the sandbox was created with). */
  readonly egress?: EgressPolicy | undefined;
  /** Longest the top level may run synchronously while being evaluated, ms (default 5000). */
  readonly evaluateTimeoutMs?: number;
  /**
   * Load synchronously on the host thread (script form only): compile, top level and attach each bounded by
   * this many ms instead of evaluateTimeoutMs. A timeout says `details.synchronous: true`.
   */
  readonly syncTimeoutMs?: number;
}

import type { InvokeTraceArgs } from '../../sdk/protocol/telemetry.js';
import type { AbortSignalLike } from '../../common/abort.js';

export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

export interface InvokeRequest {
  readonly method: string;
  /** Absolute URL as the function sees it, e.g. `http://127.0.0.1:8787/hello/path?x=1`. */
  readonly url: string;
  readonly headers: HeaderList;
  /** null for no body; bytes; or a stream of chunks (bodies are streamed in, not buffered). */
  readonly body: Uint8Array | AsyncIterable<Uint8Array> | null;
}

export interface InvokeResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: HeaderList;
  /** null for no body; whole bytes when the Response was built from a string/bytes; chunks when it was a ReadableStream. */
  readonly body: Uint8Array | AsyncIterable<Uint8Array> | null;
  /** Resolves when the invocation's ctx.waitUntil work has settled (rejects if the sandbox went away first). Set by sandboxes; absent on responses made elsewhere. */
  readonly waitUntil?: Promise<void>;
}

export interface InvokeOptions {
  /** Correlates console output and telemetry with the invocation. */
  readonly invocationId: string;
  /** Aborts the invocation (client went away, wall-time limit). */
  readonly signal?: AbortSignalLike;
  /** Traces the invocation: the author's OpenTelemetry API records under this context (absent: telemetry off, API calls are no-ops). */
  readonly trace?: InvokeTrace;
  /**
   * Call the isolate synchronously on the host thread when nothing else is running in it, bounded by this many ms
   * of execution (the handler and the microtasks it queues); exceeding it ends the invocation with
   * ISOTEL_ERR_LIMIT_CPU_TIME. Absent: asynchronously, on isolated-vm's thread pool.
   */
  readonly syncTimeoutMs?: number;
}

/** The invocation span's context, the guard rails, and where drained author telemetry goes (host/telemetry/bridge.ts). */
export interface InvokeTrace {
  /** traceparent, tracestate, baggage and limits, as the runtime takes them (sdk/protocol/telemetry.ts). */
  readonly args: InvokeTraceArgs;
  readonly sink: TelemetrySink;
}

/** Receives what the isolate drains. One sink per function instance; never throws. */
export interface TelemetrySink {
  /** A TelemetryBatch as JSON (sdk/protocol/telemetry.ts), drained on behalf of `invocationId`. */
  batch(invocationId: string, json: string): void;
  /** A console line of a traced invocation: becomes an OpenTelemetry log record (ids '' when no span was active). */
  log(record: ConsoleRecord, traceId: string, spanId: string, traceFlags: number): void;
}

/** console.* inside a function. Levels follow OpenTelemetry severity ranges: 5 debug, 9 info, 13 warn, 17 error. */
export interface ConsoleRecord {
  readonly invocationId: string | undefined;
  readonly severityNumber: number;
  readonly severityText: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly message: string;
  readonly timeUnixNano: bigint;
}

export interface SandboxOptions {
  /** Isolate heap limit in MiB (isolated-vm memoryLimit; a guideline, not a hard guarantee). */
  readonly memoryLimitMb: number;
  readonly onConsole?: (record: ConsoleRecord) => void;
  /** Outbound fetch() policy of the function in this sandbox. */
  readonly egress?: EgressPolicy;
  /**
   * Called for every outbound fetch() before it goes to the network: return a response to serve it inside the
   * host (calls to the host's own gateway URL), or undefined to let it go out. The lead wires it to the gateway.
   */
  readonly dispatchInternal?: (request: InvokeRequest, context: { invocationId: string | undefined }) => Promise<InvokeResponse | undefined> | InvokeResponse | undefined;
}

export interface EgressPolicy {
  /**
   * Opens destinations the default policy denies (loopback, private, link-local, CGNAT, multicast and cloud-metadata
   * addresses): hostnames (`api.internal`, `*.corp.example`), IP addresses or CIDR ranges (`10.1.0.0/16`).
   */
  readonly allow?: readonly string[];
  /** Most fetch() calls one invocation may make (default 50). */
  readonly subrequestLimit?: number;
}

export interface Sandbox {
  /** Compiles and evaluates the function module; rejects with IsotelError ISOTEL_ERR_DEPLOY_COMPILE / _EVALUATE / _NO_HANDLER with details {file, line, column}. */
  load(source: string, options: LoadOptions): Promise<LoadResult>;
  /**
   * Runs the fetch handler. Rejects with IsotelError ISOTEL_ERR_HANDLER_THREW (details: {name, message, stack}) or
   * _HANDLER_BAD_RESPONSE; ISOTEL_ERR_INVOKE_ABORTED when `options.signal` aborted it; ISOTEL_ERR_LIMIT_MEMORY when the
   * isolate hit its memory limit (the sandbox is then disposed); ISOTEL_ERR_SANDBOX_DISPOSED when it was disposed first.
   * A response body stream fails the same way when the sandbox goes away mid-body.
   */
  invoke(request: InvokeRequest, options: InvokeOptions): Promise<InvokeResponse>;
  /** How many invocations ran synchronously on the host thread (InvokeOptions.syncTimeoutMs). */
  readonly synchronousInvocations?: number;
  /** Collects all garbage and returns free memory to the OS (slow: for idle instances). */
  compact?(): Promise<void>;
  /** V8 heap statistics of this isolate, bytes. */
  heapStatistics(): Promise<{ usedHeapSize: number; totalHeapSize: number; externalSize: number }>;
  /** CPU time this isolate has used, nanoseconds. */
  cpuTimeNs(): bigint;
  /**
   * A "warm" V8 code cache of the loaded script-form function, made now: after the first invocations it also
   * holds the functions V8 compiled lazily meanwhile, so later cold starts skip that work. Store it in place of
   * LoadResult.cachedData. undefined for module-form loads (isolated-vm has no module code cache).
   */
  warmCodeCache?(): Promise<Uint8Array | undefined>;
  readonly disposed: boolean;
  /** Frees the isolate; in-flight invocations reject. Idempotent. */
  dispose(): void;
}

export type CreateSandbox = (options: SandboxOptions) => Promise<Sandbox>;
