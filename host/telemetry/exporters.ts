/**
 * The host's OTLP exporters. One exporter and one batch processor per signal per
 * process, shared by every function instance (the Resource travels with each span,
 * and the OTLP encoder groups spans by Resource). Protocol follows the standard
 * OTEL_EXPORTER_OTLP_PROTOCOL variable: http/protobuf (default) or http/json.
 */
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import type { MeterProvider } from '@opentelemetry/api';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';

export function otlpBaseUrl(explicit: string, bind: string, otlpHttpPort: number): string {
  if (explicit) return explicit;
  const env = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (env) return env.replace(/\/$/, '');
  return `http://${bind.includes(':') ? `[${bind}]` : bind}:${otlpHttpPort}`;
}

export function createSpanExporter(baseUrl: string): SpanExporter {
  const url = `${baseUrl}/v1/traces`;
  const protocol = process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  return protocol === 'http/json' ? new OTLPTraceExporterJson({ url }) : new OTLPTraceExporterProto({ url });
}

export function createSpanProcessor(exporter: SpanExporter, selfObsMeterProvider?: MeterProvider): BatchSpanProcessor {
  // Bounded: spans beyond maxQueueSize are dropped, never buffered without limit. With a MeterProvider the SDK
  // exports the count (otel.sdk.processor.span.processed{error.type=queue_full}); without one it logs it.
  const options = { maxQueueSize: 8192, maxExportBatchSize: 1024, scheduledDelayMillis: 500, exportTimeoutMillis: 10_000, ...(selfObsMeterProvider ? { selfObsMeterProvider } : {}) };
  return new BatchSpanProcessor(exporter, options as ConstructorParameters<typeof BatchSpanProcessor>[1]);
}
