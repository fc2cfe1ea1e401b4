/**
 * OTLP/gRPC receiver (@grpc/grpc-js): the three Export services. Messages stay raw
 * bytes until the shared pipeline decodes them with the same protobuf definitions as
 * OTLP/HTTP. grpc-js handles gzip and refuses messages over the body limit
 * (RESOURCE_EXHAUSTED). Overload and shutdown answer UNAVAILABLE (retryable).
 */
import * as grpc from '@grpc/grpc-js';
import { IsotelError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { encodeResponse, SIGNALS, type Signal } from '../decode/otlp.js';
import type { Pipeline } from './pipeline.js';

const SERVICE: Record<Signal, string> = {
  traces: 'opentelemetry.proto.collector.trace.v1.TraceService',
  metrics: 'opentelemetry.proto.collector.metrics.v1.MetricsService',
  logs: 'opentelemetry.proto.collector.logs.v1.LogsService',
};

const raw = (b: Buffer) => b;

function grpcStatus(e: unknown): grpc.StatusObject {
  const err = e instanceof IsotelError ? e : undefined;
  const code =
    err?.status === 400 || err?.status === 415
      ? grpc.status.INVALID_ARGUMENT
      : err?.status === 413
        ? grpc.status.RESOURCE_EXHAUSTED
        : err?.status === 429 || err?.status === 503
          ? grpc.status.UNAVAILABLE
          : grpc.status.INTERNAL;
  const metadata = new grpc.Metadata();
  return { code, details: err ? `${err.code}: ${err.message}` : String((e as Error)?.message ?? e), metadata };
}

export class GrpcReceiver {
  private server: grpc.Server | undefined;

  constructor(
    private readonly pipeline: Pipeline,
    private readonly o: { bind: string; port: number; maxBodyBytes: number },
    private readonly log: Logger,
  ) {}

  async listen(): Promise<number> {
    const server = new grpc.Server({ 'grpc.max_receive_message_length': this.o.maxBodyBytes, 'grpc.max_send_message_length': 1024 * 1024 });
    for (const signal of SIGNALS) {
      const def: grpc.ServiceDefinition = {
        Export: {
          path: `/${SERVICE[signal]}/Export`,
          requestStream: false,
          responseStream: false,
          requestSerialize: raw,
          requestDeserialize: raw,
          responseSerialize: raw,
          responseDeserialize: raw,
        },
      };
      server.addService(def, {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          this.pipeline.ingest(signal, call.request, false).then(
            (r) => callback(null, encodeResponse(signal, r.rejected, r.rejected > 0 ? `rejected ${r.message}` : '', false)),
            (e: unknown) => {
              if (!(e instanceof IsotelError)) this.log.error('OTLP/gRPC export failed', { error: e as Error });
              callback(grpcStatus(e), null);
            },
          );
        },
      });
    }
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${this.o.bind}:${this.o.port}`, grpc.ServerCredentials.createInsecure(), (err, p) => {
        if (err) reject(Object.assign(err, { code: /in use|EADDRINUSE/i.test(err.message) ? 'EADDRINUSE' : undefined }));
        else resolve(p);
      }),
    );
    this.server = server;
    return port;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        s.forceShutdown();
        resolve();
      }, 5000);
      s.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
