/**
 * Compression Streams: CompressionStream / DecompressionStream (gzip, deflate,
 * deflate-raw) as TransformStreams whose codec runs in the host (Node zlib) through
 * async ops, chunk by chunk.
 */
import { allocId, asyncOp, expose, op } from './00_bootstrap.js';
import { TransformStream } from './10_streams.js';
import { bytesOf } from './11_encoding.js';

type Format = 'gzip' | 'deflate' | 'deflate-raw';

function format(f: unknown, what: string): Format {
  const s = String(f);
  if (s !== 'gzip' && s !== 'deflate' && s !== 'deflate-raw') throw new TypeError(`${what}: unsupported format ${JSON.stringify(s)} (gzip, deflate, deflate-raw)`);
  return s;
}

function codecStream(fmt: Format, decompress: boolean): TransformStream<unknown, Uint8Array> {
  const handle = allocId();
  const what = decompress ? 'DecompressionStream' : 'CompressionStream';
  return new TransformStream<unknown, Uint8Array>({
    async transform(chunk, c) {
      const bytes = bytesOf(chunk, what);
      const out = await asyncOp<Uint8Array>('zlib', handle, fmt, decompress, bytes.slice(), false);
      if (out.byteLength) c.enqueue(out);
    },
    async flush(c) {
      const out = await asyncOp<Uint8Array>('zlib', handle, fmt, decompress, null, true);
      if (out.byteLength) c.enqueue(out);
    },
    cancel() { op('zlibClose', handle); },
  });
}

export class CompressionStream {
  readonly #ts: TransformStream<unknown, Uint8Array>;
  constructor(f: string) {
    if (arguments.length === 0) throw new TypeError('CompressionStream: 1 argument required');
    this.#ts = codecStream(format(f, 'CompressionStream'), false);
  }
  get readable() { return this.#ts.readable; }
  get writable() { return this.#ts.writable; }
  get [Symbol.toStringTag](): string { return 'CompressionStream'; }
}
export class DecompressionStream {
  readonly #ts: TransformStream<unknown, Uint8Array>;
  constructor(f: string) {
    if (arguments.length === 0) throw new TypeError('DecompressionStream: 1 argument required');
    this.#ts = codecStream(format(f, 'DecompressionStream'), true);
  }
  get readable() { return this.#ts.readable; }
  get writable() { return this.#ts.writable; }
  get [Symbol.toStringTag](): string { return 'DecompressionStream'; }
}
expose('CompressionStream', CompressionStream);
expose('DecompressionStream', DecompressionStream);
