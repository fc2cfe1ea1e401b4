/**
 * Types of the built-in module `isotel:otel` (helpers beside the standard
 * `@opentelemetry/api`, which every function can import as is). docs/otel.md.
 */
declare module 'isotel:otel' {
  import type { Span, SpanOptions, Tracer } from '@opentelemetry/api';
  /**
   * Runs `fn(span)` with a new span active. The span ends when `fn` returns — or when
   * the promise it returns settles; a throw or rejection is recorded on the span
   * (exception event, ERROR status) and propagates.
   *
   *   const total = await span(tracer, 'price-cart', async (s) => { s.setAttribute('items', 3); return price(); });
   */
  export function span<T>(tracer: Tracer, name: string, fn: (span: Span) => T): T;
  export function span<T>(tracer: Tracer, name: string, options: SpanOptions, fn: (span: Span) => T): T;
}
