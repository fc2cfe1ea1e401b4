/**
 * The host's OTLP exporters. One exporter and one batch processor per signal per
 * process, shared by every function instance (the Resource travels with each span,
 * and the OTLP encoder groups spans by Resource). Protocol follows the standard
 * OTEL_EXPORTER_OTLP_PROTOCOL variable: http/protobuf (default) or http/json.
 */
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
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

export function createSpanProcessor(exporter: SpanExporter): BatchSpanProcessor {
  // Bounded: spans beyond maxQueueSize are dropped (and counted by the SDK), never buffered without limit.
  return new BatchSpanProcessor(exporter, { maxQueueSize: 8192, maxExportBatchSize: 1024, scheduledDelayMillis: 500, exportTimeoutMillis: 10_000 });
}
