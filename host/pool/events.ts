/**
 * Lifecycle events of the pool and invocations, published on diagnostics_channel.
 * The pool and the gateway know nothing about OpenTelemetry: host/telemetry
 * subscribes to these channels. Publishers check `hasSubscribers` first, so with
 * telemetry off nothing is built.
 */
import { channel } from 'node:diagnostics_channel';
import type { IsotelError } from '../../common/errors.js';
import type { HeaderList, InvokeTrace } from '../isolate/api.js';

export interface InstanceInfo {
  readonly fn: string;
  readonly version: string;
  /** faas.instance: unique per isolate instance. */
  readonly instanceId: string;
  readonly memoryLimitMb: number;
}

export interface ColdStartPhases {
  /** hrtime.bigint() readings: [start, end] per phase. */
  readonly acquire: readonly [bigint, bigint];
  readonly compile: readonly [bigint, bigint];
  readonly evaluate: readonly [bigint, bigint];
  /** From the end of evaluate until the handler's response head. */
  dispatch?: readonly [bigint, bigint];
  readonly codeCacheHit: boolean;
  readonly poolHit: boolean;
}

/** One invocation. Telemetry subscribers may attach their own state under `telemetry`. */
export interface InvocationEvent {
  readonly instance: InstanceInfo;
  readonly invocationId: string;
  readonly method: string;
  readonly url: string;
  readonly headers: HeaderList;
  readonly startUnixNano: bigint;
  readonly coldStart: boolean;
  coldStartPhases?: ColdStartPhases;
  status?: number;
  error?: IsotelError;
  endHr?: bigint;
  cpuTimeNs?: bigint;
  telemetry?: unknown;
  /** Set by a telemetry subscriber on invoke:start: the isolate traces the invocation under this context (host/telemetry/bridge.ts). */
  trace?: InvokeTrace;
}

export interface InstanceEvent {
  readonly instance: InstanceInfo;
  readonly reason?: 'idle' | 'evicted' | 'error' | 'undeployed' | 'shutdown';
}

export const channels = {
  invokeStart: channel('isotel:invoke:start'),
  invokeEnd: channel('isotel:invoke:end'),
  instanceCreate: channel('isotel:instance:create'),
  instanceDispose: channel('isotel:instance:dispose'),
  poolAcquire: channel('isotel:pool:acquire'),
} as const;
