/**
 * What every receiver (OTLP/HTTP, OTLP/gRPC) calls with a request body:
 * decode → map to rows → queue durably. Resolves when the rows are durable (the
 * moment to acknowledge), with the partial-success counts for the response.
 */
import { IsotelError } from '../../common/errors.js';
import { decodeJson, decodeProtobuf, type DecodedRequest, type Signal } from '../decode/otlp.js';
import type { DurableQueue } from '../queue/queue.js';
import { mapRequest } from '../rows/index.js';
import type { CollectorStats } from '../telemetry/stats.js';

export interface IngestResult {
  readonly accepted: number;
  readonly rejected: number;
  readonly message: string;
}

export class Pipeline {
  constructor(
    private readonly queue: DurableQueue,
    readonly stats: CollectorStats,
  ) {}

  /** Decoded message (gRPC hands one over already decoded). */
  async ingestDecoded(signal: Signal, req: DecodedRequest, sizeHint: number): Promise<IngestResult> {
    const s = this.stats.signals[signal];
    s.requests++;
    let mapped;
    try {
      mapped = mapRequest(signal, req, Math.max(4096, Math.min(sizeHint * 2, 64 * 1024 * 1024)));
    } catch (e) {
      s.badRequests++;
      throw new IsotelError('ISOTEL_ERR_OTLP_UNDECODABLE', `cannot map OTLP ${signal} request to rows: ${(e as Error).message}`, { cause: e });
    }
    try {
      await this.queue.append(mapped);
    } catch (e) {
      s.refusedRequests++;
      throw e;
    }
    s.accepted += mapped.accepted;
    s.rejected += mapped.rejected;
    return { accepted: mapped.accepted, rejected: mapped.rejected, message: mapped.message };
  }

  /** The collector's own rows (self-telemetry): queued like any other, not counted as received OTLP. */
  async ingestOwn(signal: Signal, req: DecodedRequest): Promise<void> {
    await this.queue.append(mapRequest(signal, req, 8192));
  }

  async ingest(signal: Signal, body: Buffer, json: boolean): Promise<IngestResult> {
    this.stats.signals[signal].receivedBytes += body.length;
    let req: DecodedRequest;
    try {
      req = json ? decodeJson(signal, body.toString('utf8')) : decodeProtobuf(signal, body);
    } catch (e) {
      this.stats.signals[signal].requests++;
      this.stats.signals[signal].badRequests++;
      throw e;
    }
    return this.ingestDecoded(signal, req, body.length);
  }
}
