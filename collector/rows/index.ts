/** Row mapping entry: one decoded OTLP request → encoded rows per table. */
import type { DecodedRequest, Signal } from '../decode/otlp.js';
import type { MappedRequest } from './batch.js';
import { mapLogs } from './logs.js';
import { mapMetrics } from './metrics.js';
import { mapTraces } from './traces.js';

export type { MappedRequest, TableRows } from './batch.js';

const MAPPERS: Record<Signal, (req: DecodedRequest, sizeHint: number) => MappedRequest> = {
  traces: mapTraces,
  logs: mapLogs,
  metrics: mapMetrics,
};

export function mapRequest(signal: Signal, req: DecodedRequest, sizeHint: number): MappedRequest {
  return MAPPERS[signal](req, sizeHint);
}
