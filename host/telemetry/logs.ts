/**
 * Function console output as OpenTelemetry log records: one BatchLogRecordProcessor
 * and one OTLP logs exporter per worker process, shared by every function instance;
 * a LoggerProvider per instance only carries that instance's Resource (the OTLP
 * encoder groups records by Resource, so `ServiceName` in otel_logs is the function).
 */
import { ROOT_CONTEXT, TraceFlags, trace, type Context, type MeterProvider } from '@opentelemetry/api';
import type { Logger } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import type { Resource } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { ATTR } from '../../sdk/protocol/names.js';
import type { ConsoleRecord } from '../isolate/api.js';

/** Instrumentation scope of console-derived log records. */
export const CONSOLE_SCOPE = 'isotel.console';
const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

export interface LogPipeline {
  /** A logger that writes under `resource` (cheap: reuse one per instance). */
  loggerFor(resource: Resource): Logger;
  /** Emits one console line as a log record. Never throws. */
  emit(logger: Logger, record: ConsoleRecord, traceId: string, spanId: string, traceFlags: number): void;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface LogPipelineOptions {
  readonly baseUrl: string;
  /** For tests: replaces the OTLP exporter. */
  readonly exporter?: LogRecordExporter;
  /** Records queued for export at most; more are dropped (counted by the SDK). */
  readonly maxQueueSize?: number;
  /** Where the SDK reports its processor's counts, drops (queue_full) included. */
  readonly selfObsMeterProvider?: MeterProvider;
}

export function createLogPipeline(options: LogPipelineOptions): LogPipeline {
  const exporter = options.exporter ?? new OTLPLogExporter({ url: `${options.baseUrl}/v1/logs` });
  // Bounded like the span processor: a collector that is down costs dropped records, never memory.
  const processor = new BatchLogRecordProcessor({ exporter, maxQueueSize: options.maxQueueSize ?? 8192, maxExportBatchSize: 1024, scheduledDelayMillis: 500, exportTimeoutMillis: 10_000, ...(options.selfObsMeterProvider ? { selfObsMeterProvider: options.selfObsMeterProvider } : {}) });
  return {
    loggerFor(resource) {
      const provider = new LoggerProvider({ resource, processors: [processor] });
      return provider.getLogger(CONSOLE_SCOPE);
    },
    emit(logger, record, traceId, spanId, traceFlags) {
      let context: Context = ROOT_CONTEXT;
      if (TRACE_ID.test(traceId) && SPAN_ID.test(spanId)) context = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: traceFlags & TraceFlags.SAMPLED, isRemote: true });
      const ns = record.timeUnixNano;
      logger.emit({
        severityNumber: record.severityNumber,
        severityText: record.severityText,
        body: record.message,
        timestamp: [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)],
        context,
        attributes: record.invocationId ? { [ATTR.faasInvocationId]: record.invocationId, 'log.source': 'console' } : { 'log.source': 'console' },
      });
    },
    flush: () => processor.forceFlush(),
    shutdown: () => processor.shutdown(),
  };
}
