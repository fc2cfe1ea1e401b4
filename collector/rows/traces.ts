/** ExportTraceServiceRequest → otel_traces rows, mapped as the exporter maps them. */
import type { DecodedRequest } from '../decode/otlp.js';
import { BatchBuilder, type MappedRequest } from './batch.js';
import { RowBinaryWriter } from './rowbinary.js';
import { hexId, nanosDiff, serviceName, writeAttributes, writeNanos } from './values.js';

// pdata SpanKind.String() / StatusCode.String() (exporter PR #34799 spellings).
const KIND = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const STATUS = ['Unset', 'Ok', 'Error'];

export function mapTraces(req: DecodedRequest, sizeHint: number): MappedRequest {
  const b = new BatchBuilder(sizeHint);
  const scratch = new RowBinaryWriter(4096);
  for (const rs of req.resourceSpans ?? []) {
    const resAttrs = rs.resource?.attributes;
    // Resource attributes and service name are the same for every span below: encode once.
    writeAttributes(scratch, resAttrs);
    const resMap = scratch.take();
    const service = serviceName(resAttrs);
    for (const ss of rs.scopeSpans ?? []) {
      const scopeName = ss.scope?.name ?? '';
      const scopeVersion = ss.scope?.version ?? '';
      for (const s of ss.spans ?? []) {
        const dur = nanosDiff(s.endTimeUnixNano, s.startTimeUnixNano);
        if (!dur) {
          b.reject('spans ending before they start');
          continue;
        }
        const w = b.writer('otel_traces');
        writeNanos(w, s.startTimeUnixNano);
        w.str(hexId(s.traceId, 16));
        w.str(hexId(s.spanId, 8));
        w.str(hexId(s.parentSpanId, 8));
        w.str(s.traceState ?? '');
        w.str(s.name ?? '');
        w.str(KIND[s.kind] ?? '');
        w.str(service);
        w.raw(resMap);
        w.str(scopeName);
        w.str(scopeVersion);
        writeAttributes(w, s.attributes);
        w.u64parts(dur[0], dur[1]);
        w.str(STATUS[s.status?.code ?? 0] ?? '');
        w.str(s.status?.message ?? '');
        const ev = s.events ?? [];
        w.varint(ev.length);
        for (const e of ev) writeNanos(w, e.timeUnixNano);
        w.varint(ev.length);
        for (const e of ev) w.str(e.name ?? '');
        w.varint(ev.length);
        for (const e of ev) writeAttributes(w, e.attributes);
        const ln = s.links ?? [];
        w.varint(ln.length);
        for (const l of ln) w.str(hexId(l.traceId, 16));
        w.varint(ln.length);
        for (const l of ln) w.str(hexId(l.spanId, 8));
        w.varint(ln.length);
        for (const l of ln) w.str(l.traceState ?? '');
        w.varint(ln.length);
        for (const l of ln) writeAttributes(w, l.attributes);
        b.row('otel_traces');
      }
    }
  }
  return b.finish();
}
