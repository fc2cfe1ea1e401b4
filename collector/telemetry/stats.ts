/** The collector's own counters, per signal, read by /metrics and the self-telemetry rows. */
import type { Signal } from '../decode/otlp.js';

export interface SignalStats {
  requests: number;
  accepted: number;
  rejected: number;
  refusedRequests: number;
  badRequests: number;
  receivedBytes: number;
}

export class CollectorStats {
  readonly signals: Record<Signal, SignalStats> = { traces: empty(), metrics: empty(), logs: empty() };
  readonly startedAt = Date.now();
}

function empty(): SignalStats {
  return { requests: 0, accepted: 0, rejected: 0, refusedRequests: 0, badRequests: 0, receivedBytes: 0 };
}
