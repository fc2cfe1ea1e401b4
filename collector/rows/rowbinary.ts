/**
 * A growable RowBinary writer: the ClickHouse binary row format that both the
 * embedded engine (`file(…, 'RowBinary', …)`) and a server (`FORMAT RowBinary` over
 * HTTP) read directly, so queue segments are written once and inserted as they are.
 * https://clickhouse.com/docs/interfaces/formats/RowBinary
 */
/** A 64-bit integer as protobufjs decodes it (the `long` library's shape). */
export interface LongLike {
  readonly low: number;
  readonly high: number;
  readonly unsigned?: boolean;
}

const EMPTY = Buffer.alloc(0);

export class RowBinaryWriter {
  buf: Buffer;
  pos = 0;

  constructor(initial = 64 * 1024) {
    this.buf = initial > 0 ? Buffer.allocUnsafe(initial) : EMPTY;
  }

  private grow(need: number): void {
    let size = Math.max(this.buf.length * 2, 4096);
    while (size < this.pos + need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v | 0, this.pos);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** 64-bit integer from its two 32-bit halves (as protobufjs Long carries it). */
  u64parts(low: number, high: number): void {
    this.ensure(8);
    this.buf.writeInt32LE(low | 0, this.pos);
    this.buf.writeInt32LE(high | 0, this.pos + 4);
    this.pos += 8;
  }

  u64long(v: LongLike): void {
    this.u64parts(v.low, v.high);
  }

  /** UInt64 from a JS number (counts, bucket counts below 2^53). */
  u64num(v: number): void {
    this.u64parts(v % 0x100000000 | 0, Math.floor(v / 0x100000000));
  }

  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  str(s: string): void {
    const len = s.length;
    if (len < 128) {
      // Short strings (attribute keys and most values) are usually ASCII: copy the char
      // codes in JS, which beats two native calls; fall back on the first non-ASCII char.
      this.ensure(len + 1);
      const buf = this.buf;
      const start = this.pos;
      buf[start] = len;
      let p = start + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === len) {
        this.pos = p;
        return;
      }
    }
    const n = Buffer.byteLength(s);
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos);
  }

  /** Pre-encoded bytes (e.g. a resource's attribute map, encoded once per resource). */
  raw(b: Buffer | Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Copies out the bytes written so far and resets the writer for reuse. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }

  /** Bytes written since `from` (no copy; valid until the next write). */
  view(from: number): Buffer {
    return this.buf.subarray(from, this.pos);
  }
}
