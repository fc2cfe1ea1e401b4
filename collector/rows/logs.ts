/** ExportLogsServiceRequest → otel_logs rows, mapped as the exporter maps them. */
import type { DecodedRequest } from '../decode/otlp.js';
import { BatchBuilder, type MappedRequest } from './batch.js';
import { RowBinaryWriter } from './rowbinary.js';
import { anyValueString, hexId, isZero, serviceName, writeAttributes, writeNanos } from './values.js';

export function mapLogs(req: DecodedRequest, sizeHint: number): MappedRequest {
  const b = new BatchBuilder(sizeHint);
  const scratch = new RowBinaryWriter(4096);
  for (const rl of req.resourceLogs ?? []) {
    const resAttrs = rl.resource?.attributes;
    writeAttributes(scratch, resAttrs);
    const resMap = scratch.take();
    const service = serviceName(resAttrs);
    const resSchema = rl.schemaUrl ?? '';
    for (const sl of rl.scopeLogs ?? []) {
      writeAttributes(scratch, sl.scope?.attributes);
      const scopeMap = scratch.take();
      for (const r of sl.logRecords ?? []) {
        const w = b.writer('otel_logs');
        // Timestamp falls back to ObservedTimestamp when unset, as the exporter does.
        writeNanos(w, isZero(r.timeUnixNano) ? r.observedTimeUnixNano : r.timeUnixNano);
        w.str(hexId(r.traceId, 16));
        w.str(hexId(r.spanId, 8));
        w.u8((r.flags ?? 0) & 0xff);
        w.str(r.severityText ?? '');
        w.u8((r.severityNumber ?? 0) & 0xff);
        w.str(service);
        w.str(anyValueString(r.body));
        w.str(resSchema);
        w.raw(resMap);
        w.str(sl.schemaUrl ?? '');
        w.str(sl.scope?.name ?? '');
        w.str(sl.scope?.version ?? '');
        w.raw(scopeMap);
        writeAttributes(w, r.attributes);
        w.str(r.eventName ?? '');
        b.row('otel_logs');
      }
    }
  }
  return b.finish();
}
