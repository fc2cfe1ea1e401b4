/**
 * Compression Streams: CompressionStream / DecompressionStream for gzip, deflate
 * (zlib) and deflate-raw, as TransformStreams over fflate's streaming codecs.
 */
import { Deflate, Gunzip, Gzip, Inflate, Unzlib, Zlib } from 'fflate';
import { expose } from './00_bootstrap.js';
import { TransformStream } from './10_streams.js';
import { bytesOf } from './11_encoding.js';

type Format = 'gzip' | 'deflate' | 'deflate-raw';
interface Codec { ondata: (chunk: Uint8Array, final: boolean) => void; push(chunk: Uint8Array, final?: boolean): void }

function format(f: unknown, what: string): Format {
  const s = String(f);
  if (s !== 'gzip' && s !== 'deflate' && s !== 'deflate-raw') throw new TypeError(`${what}: unsupported format ${JSON.stringify(s)} (gzip, deflate, deflate-raw)`);
  return s;
}

function codecStream(make: () => Codec, decompress: boolean): TransformStream<unknown, Uint8Array> {
  let codec: Codec;
  let ended = false;
  let out: Uint8Array[] = [];
  const drain = (c: { enqueue(x: Uint8Array): void }) => { for (const x of out) if (x.byteLength) c.enqueue(x); out = []; };
  return new TransformStream<unknown, Uint8Array>({
    start() {
      codec = make();
      codec.ondata = (chunk, final) => { out.push(chunk); if (final) ended = true; };
    },
    transform(chunk, c) {
      const bytes = bytesOf(chunk, decompress ? 'DecompressionStream' : 'CompressionStream');
      if (decompress && ended && bytes.byteLength > 0) throw new TypeError('DecompressionStream: data after the end of the compressed stream');
      try { codec.push(bytes.slice(), false); } catch (e) { throw new TypeError(`${decompress ? 'DecompressionStream' : 'CompressionStream'}: ${(e as Error).message}`); }
      drain(c);
    },
    flush(c) {
      try { codec.push(new Uint8Array(0), true); } catch (e) { throw new TypeError(`${decompress ? 'DecompressionStream' : 'CompressionStream'}: ${(e as Error).message}`); }
      drain(c);
      if (decompress && !ended) throw new TypeError('DecompressionStream: the compressed stream ended early');
    },
  });
}

export class CompressionStream {
  readonly #ts: TransformStream<unknown, Uint8Array>;
  constructor(f: string) {
    if (arguments.length === 0) throw new TypeError('CompressionStream: 1 argument required');
    const fmt = format(f, 'CompressionStream');
    this.#ts = codecStream(() => (fmt === 'gzip' ? new Gzip() : fmt === 'deflate' ? new Zlib() : new Deflate()) as unknown as Codec, false);
  }
  get readable() { return this.#ts.readable; }
  get writable() { return this.#ts.writable; }
  get [Symbol.toStringTag](): string { return 'CompressionStream'; }
}
export class DecompressionStream {
  readonly #ts: TransformStream<unknown, Uint8Array>;
  constructor(f: string) {
    if (arguments.length === 0) throw new TypeError('DecompressionStream: 1 argument required');
    const fmt = format(f, 'DecompressionStream');
    this.#ts = codecStream(() => (fmt === 'gzip' ? new Gunzip() : fmt === 'deflate' ? new Unzlib() : new Inflate()) as unknown as Codec, true);
  }
  get readable() { return this.#ts.readable; }
  get writable() { return this.#ts.writable; }
  get [Symbol.toStringTag](): string { return 'DecompressionStream'; }
}
expose('CompressionStream', CompressionStream);
expose('DecompressionStream', DecompressionStream);
