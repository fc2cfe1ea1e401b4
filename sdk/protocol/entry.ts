/**
 * The isolate boundary of the isotel runtime: what the host (host/isolate) and the
 * in-isolate runtime (sdk/runtime) agree on. Everything crossing it is a primitive,
 * an array of primitives or bytes (copied ArrayBuffers) — never a handle.
 *
 * Direction host → isolate: the host calls methods of the runtime entry (the
 * completion value of dist/runtime/runtime.js). Entry methods never throw: results
 * come back as ops. So a rejected call means an unhandled promise rejection inside
 * the isolate (isolated-vm reports those to whichever call was running) or a
 * disposed isolate.
 *
 * Direction isolate → host: one fire-and-forget function `op(name, ...args)`.
 * Requests that need an answer carry an id; the host answers with
 * `entry.complete(id, ok, value)`.
 */

import type { InvokeTraceArgs } from './telemetry.js';

/** Name of the global the host sets before running the runtime script; the runtime captures and deletes it. */
export const BOOTSTRAP_GLOBAL = '__isotel_bootstrap';

/** Body modes crossing the boundary. */
export const BODY_NONE = 0;
export const BODY_BYTES = 1;
export const BODY_STREAM = 2;
export type BodyMode = typeof BODY_NONE | typeof BODY_BYTES | typeof BODY_STREAM;

/** What the host injects under BOOTSTRAP_GLOBAL (plain functions inside the isolate). */
export interface Bootstrap {
  /** Fire-and-forget message to the host (see Op). */
  op(name: OpName, ...args: unknown[]): void;
  /** The same message, delivered synchronously: used while the host is blocked in a synchronous entry call (invokeSync). */
  opSync(name: OpName, ...args: unknown[]): void;
  /** Synchronous: `n` random bytes from the host CSPRNG. */
  randomBytes(n: number): Uint8Array;
  /** Synchronous: milliseconds since the sandbox's time origin, monotonic, sub-ms. */
  now(): number;
  /** Unix ms of the time origin. */
  readonly timeOrigin: number;
}

/** isolate → host messages. */
export type Op =
  /** console output: severityNumber, invocationId ('' = none), message[, traceId, spanId, traceFlags when the line is a log record of a traced invocation] */
  | ['console', number, string, string, ...unknown[]]
  /** handler finished: invocationId, status, statusText, flat headers, body mode, bytes | stream id, and true when the invocation is also done (no waitUntil work) */
  | ['respond', string, number, string, string[], BodyMode, Uint8Array | number | null, boolean]
  /** handler failed: invocationId, kind ('threw' | 'bad_response'), name, message, stack */
  | ['fail', string, string, string, string, string]
  /** all waitUntil work of an invocation settled */
  | ['done', string]
  /** response stream chunk: streamId, chunk | null at end, error message ('' = none) */
  | ['chunk', number, Uint8Array | null, string]
  /** async requests (answered by entry.complete): */
  | ['sleep', number, number, boolean?] // id, ms, weak (a weak timer does not keep `isotel run` waiting)
  | ['cancelSleep', number] // id (no answer)
  | ['reqRead', number, string] // id, invocationId → Uint8Array | null
  | ['reqCancel', string] // invocationId (no answer)
  | ['fetch', number, string, string, string, string[], BodyMode, Uint8Array | number | null, string] // id, invocationId, method, url, headers, body, redirect mode → [status, statusText, headers, finalUrl, redirected, bodyId | -1]
  | ['fetchAbort', number] // id of a pending 'fetch' (no answer; the fetch op is answered with an AbortError)
  | ['fetchRead', number, number] // id, fetch body id → Uint8Array | null
  | ['fetchCancel', number] // fetch body id (no answer)
  | ['crypto', number, string, unknown[]] // id, SubtleCrypto method, arguments (CryptoKeys as {__key: handle}) → result
  | ['cryptoRelease', number] // a CryptoKey handle the isolate garbage-collected (no answer)
  | ['uncaught', string, string, string] // name, message, stack of an error nobody handled
  | ['hold', number] // +1/-1: work the host cannot see is pending (async wasm compilation); `isotel run` waits for it
  | ['zlib', number, number, string, boolean, Uint8Array | null, boolean] // id, stream handle, format, decompress, chunk, final → output bytes
  | ['zlibClose', number] // stream handle (no answer)
  /** drained author telemetry: invocationId, TelemetryBatch as JSON (sdk/protocol/telemetry.ts) */
  | ['telemetry', string, string];

export type OpName = Op[0];

/** The runtime entry object. */
export interface RuntimeEntry {
  /** Exercises the request path once at sandbox creation (ops for its invocation id are ignored by the host). */
  warmup(): void;
  /** Makes V8 collect all garbage and release free memory (idle instances, off the request path). */
  compact(): void;
  /** One warmup round called synchronously by the host, its ops delivered synchronously (the invokeSync path). */
  warmupSync(): void;
  /** After the function module (or classic script) evaluated: finds the handler. Returns 'module' | 'service-worker' | '' (none). */
  attach(namespace: object | undefined, envJson: string): string;
  /** `trace`: the invocation span's context and telemetry limits for a traced invocation, null when telemetry is off (sdk/protocol/telemetry.ts). */
  invoke(invocationId: string, method: string, url: string, headers: string[], bodyMode: BodyMode, body: Uint8Array | null, trace?: InvokeTraceArgs | null): void;
  /** invoke, called synchronously by the host: ops until the next entry call are delivered synchronously. */
  invokeSync(invocationId: string, method: string, url: string, headers: string[], bodyMode: BodyMode, body: Uint8Array | null, trace?: InvokeTraceArgs | null): void;
  /** Pull the next chunk of response stream `streamId`; answered by op 'chunk'. */
  pull(streamId: number): void;
  cancel(streamId: number, reason: string): void;
  abort(invocationId: string, reason: string): void;
  complete(id: number, ok: boolean, value: unknown): void;
  /** The host saw an unhandled rejection (copied reason); fires `unhandledrejection` on globalThis. Returns true when a listener handled it. */
  unhandledRejection(name: string, message: string, stack: string): boolean;
  /** The host saw an uncaught exception (script top level); fires `error` on globalThis. Returns true when a listener handled it. */
  uncaughtError(name: string, message: string, stack: string): boolean;
  /** Built-in module namespaces by specifier (e.g. `isotel:runtime`). */
  builtinModule(specifier: string): object | undefined;
  builtinModuleNames(): string[];
  builtinModuleExports(specifier: string): string[];
}

/** Runtime version reported in navigator.userAgent and `isotel:runtime`. */
export const RUNTIME_NAME = 'isotel';
