/**
 * Host side of CompressionStream / DecompressionStream: one Node zlib stream per
 * isolate-side stream (gzip, deflate = zlib format, deflate-raw). Native and with no
 * start-up cost inside the isolate (a pure-JS codec spends ~12 ms building its
 * tables in every fresh isolate, measured with fflate). Output is returned per
 * pushed chunk, so data streams through without being buffered whole.
 */
import type { Transform } from 'node:stream';
import { createDeflate, createDeflateRaw, createGunzip, createGzip, createInflate, createInflateRaw } from 'node:zlib';

type ZStream = Transform;
const FACTORIES: Record<string, [() => ZStream, () => ZStream]> = {
  gzip: [createGzip, createGunzip],
  deflate: [createDeflate, createInflate],
  'deflate-raw': [createDeflateRaw, createInflateRaw],
};
/** Streams one sandbox may hold open at once (each holds zlib state, ~256 KiB for deflate). */
const MAX_STREAMS = 64;

interface Entry { z: ZStream; out: Buffer[]; error: Error | undefined; ended: boolean }

export class CompressionOps {
  readonly #streams = new Map<number, Entry>();

  #open(handle: number, format: string, decompress: boolean): Entry {
    let e = this.#streams.get(handle);
    if (e) return e;
    const f = FACTORIES[format];
    if (!f) throw new TypeError(`unsupported compression format ${JSON.stringify(format)}`);
    if (this.#streams.size >= MAX_STREAMS) throw new TypeError(`this isolate has ${MAX_STREAMS} compression streams open; close or finish some first`);
    const z = f[decompress ? 1 : 0]();
    e = { z, out: [], error: undefined, ended: false };
    const entry = e;
    z.on('data', (b: Buffer) => entry.out.push(b));
    z.on('error', (err: Error) => { entry.error = err; });
    z.on('end', () => { entry.ended = true; });
    this.#streams.set(handle, e);
    return e;
  }

  /** Feeds a chunk (and ends the stream when `final`); resolves with the output produced so far. */
  async push(handle: number, format: string, decompress: boolean, chunk: Uint8Array | null, final: boolean): Promise<Uint8Array> {
    const e = this.#open(handle, format, decompress);
    const what = decompress ? 'DecompressionStream' : 'CompressionStream';
    await new Promise<void>((resolve) => {
      if (final) {
        if (chunk && chunk.byteLength) e.z.write(chunk);
        e.z.end();
        const done = () => resolve();
        e.z.once('end', done);
        e.z.once('error', done);
      } else {
        e.z.write(chunk ?? new Uint8Array(0), () => resolve());
        e.z.once('error', () => resolve());
      }
    });
    if (e.error) {
      this.close(handle);
      throw new TypeError(`${what}: ${e.error.message}`);
    }
    const out = Buffer.concat(e.out);
    e.out = [];
    if (final) this.#streams.delete(handle);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength).slice();
  }

  close(handle: number): void {
    const e = this.#streams.get(handle);
    this.#streams.delete(handle);
    if (e && !e.ended) { e.z.on('error', () => {}); e.z.destroy(); }
  }

  dispose(): void {
    for (const h of [...this.#streams.keys()]) this.close(h);
  }
}
