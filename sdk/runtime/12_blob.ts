/** File API (Blob, File) and XHR's FormData, written to the specs. */
import { expose } from './00_bootstrap.js';
import { registerCloner } from './01_webidl.js';
import { ReadableStream } from './10_streams.js';
import { bytesOf, decoder, toUSV, utf8Encode } from './11_encoding.js';

const blobBytes = new WeakMap<object, Uint8Array>();
const blobType = new WeakMap<object, string>();

function normalizeType(t: unknown): string {
  const s = String(t);
  return /[^\x20-\x7e]/.test(s) ? '' : s.toLowerCase();
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.byteLength; }
  return out;
}

export class Blob {
  constructor(blobParts?: Iterable<unknown>, options?: { type?: string; endings?: string }) {
    if (options !== undefined && options !== null && typeof options !== 'object' && typeof options !== 'function') throw new TypeError("Blob: parameter 2 ('options') is not an object");
    const endings = options?.endings === undefined ? 'transparent' : String(options.endings);
    if (endings !== 'transparent' && endings !== 'native') throw new TypeError(`Blob: endings must be 'transparent' or 'native', got '${endings}'`);
    const parts: Uint8Array[] = [];
    if (blobParts !== undefined && blobParts !== null) {
      if (typeof blobParts !== 'object' && typeof blobParts !== 'function' || typeof (blobParts as any)[Symbol.iterator] !== 'function') throw new TypeError("Blob: parameter 1 is not iterable");
      for (const part of blobParts) {
        if (part instanceof Blob) parts.push(blobBytes.get(part)!);
        else if (ArrayBuffer.isView(part) || part instanceof ArrayBuffer) parts.push(bytesOf(part, 'Blob').slice());
        else {
          let s = toUSV(part);
          if (endings === 'native') s = s.replace(/\r\n|\r/g, '\n');
          parts.push(utf8Encode(s));
        }
      }
    }
    blobBytes.set(this, concatBytes(parts));
    blobType.set(this, options?.type === undefined ? '' : normalizeType(options.type));
  }
  get size(): number { return bytesOfBlob(this).byteLength; }
  get type(): string { bytesOfBlob(this); return blobType.get(this)!; }
  slice(start?: number, end?: number, contentType?: string): Blob {
    const b = bytesOfBlob(this);
    const size = b.byteLength;
    const rel = (v: number | undefined, d: number) => { if (v === undefined) return d; const n = Math.trunc(Number(v)) || 0; return n < 0 ? Math.max(size + n, 0) : Math.min(n, size); };
    const s = rel(start, 0), e = rel(end, size);
    const out = new Blob([], { type: contentType === undefined ? '' : contentType });
    blobBytes.set(out, b.subarray(s, Math.max(s, e)));
    return out;
  }
  stream(): ReadableStream<Uint8Array> {
    const b = bytesOfBlob(this);
    let offset = 0;
    return new ReadableStream<Uint8Array>({
      type: 'bytes',
      pull(c: any) {
        if (offset >= b.byteLength) { c.close(); c.byobRequest?.respond(0); return; }
        const chunk = b.slice(offset, offset + 65536);
        offset += chunk.byteLength;
        c.enqueue(chunk);
      },
    } as any) as ReadableStream<Uint8Array>;
  }
  text(): Promise<string> { try { return Promise.resolve(decoder.decode(bytesOfBlob(this))); } catch (e) { return Promise.reject(e); } }
  arrayBuffer(): Promise<ArrayBuffer> { try { return Promise.resolve(bytesOfBlob(this).slice().buffer); } catch (e) { return Promise.reject(e); } }
  bytes(): Promise<Uint8Array> { try { return Promise.resolve(bytesOfBlob(this).slice()); } catch (e) { return Promise.reject(e); } }
  get [Symbol.toStringTag](): string { return 'Blob'; }
}

export function bytesOfBlob(b: unknown): Uint8Array {
  const x = blobBytes.get(b as object);
  if (!x) throw new TypeError('Illegal invocation: not a Blob');
  return x;
}

export class File extends Blob {
  readonly #name: string;
  readonly #lastModified: number;
  constructor(fileBits: Iterable<unknown>, fileName: string, options?: { type?: string; endings?: string; lastModified?: number }) {
    if (arguments.length < 2) throw new TypeError(`File: 2 arguments required, but only ${arguments.length} present.`);
    super(fileBits, options);
    this.#name = toUSV(fileName);
    this.#lastModified = options?.lastModified === undefined ? Date.now() : Math.trunc(Number(options.lastModified)) || 0;
  }
  get name(): string { return this.#name; }
  get lastModified(): number { return this.#lastModified; }
  override get [Symbol.toStringTag](): string { return 'File'; }
}

type Entry = [string, string | File];
const formEntries = new WeakMap<object, Entry[]>();
function fe(f: unknown): Entry[] {
  const e = formEntries.get(f as object);
  if (!e) throw new TypeError('Illegal invocation: not a FormData');
  return e;
}
function makeEntry(name: unknown, value: unknown, filename: unknown, argc: number): Entry {
  const n = toUSV(name);
  if (value instanceof Blob) {
    const fname = argc > 2 ? toUSV(filename) : value instanceof File ? value.name : 'blob';
    if (!(value instanceof File) || argc > 2) value = new File([value], fname, { type: value.type, lastModified: value instanceof File ? value.lastModified : undefined as unknown as number });
    return [n, value as File];
  }
  if (argc > 2) throw new TypeError("FormData: parameter 2 is not of type 'Blob'");
  return [n, toUSV(value)];
}

export class FormData {
  constructor(form?: unknown) {
    if (form !== undefined) throw new TypeError('FormData: there are no HTML forms here; construct it without arguments');
    formEntries.set(this, []);
  }
  append(name: string, value: string | Blob, filename?: string): void {
    if (arguments.length < 2) throw new TypeError('FormData.append: 2 arguments required');
    fe(this).push(makeEntry(name, value, filename, arguments.length));
  }
  delete(name: string): void { const n = toUSV(name); formEntries.set(this, fe(this).filter(([k]) => k !== n)); }
  get(name: string): string | File | null { const n = toUSV(name); return fe(this).find(([k]) => k === n)?.[1] ?? null; }
  getAll(name: string): Array<string | File> { const n = toUSV(name); return fe(this).filter(([k]) => k === n).map(([, v]) => v); }
  has(name: string): boolean { const n = toUSV(name); return fe(this).some(([k]) => k === n); }
  set(name: string, value: string | Blob, filename?: string): void {
    if (arguments.length < 2) throw new TypeError('FormData.set: 2 arguments required');
    const entry = makeEntry(name, value, filename, arguments.length);
    const list = fe(this);
    const i = list.findIndex(([k]) => k === entry[0]);
    if (i < 0) { list.push(entry); return; }
    list[i] = entry;
    formEntries.set(this, list.filter(([k], j) => j <= i || k !== entry[0]));
  }
  forEach(cb: (value: string | File, key: string, parent: FormData) => void, thisArg?: unknown): void {
    for (const [k, v] of this) cb.call(thisArg, v, k, this);
  }
  *entries(): IterableIterator<Entry> { const l = fe(this); for (let i = 0; i < l.length; i++) yield [l[i]![0], l[i]![1]]; }
  *keys(): IterableIterator<string> { for (const [k] of this.entries()) yield k; }
  *values(): IterableIterator<string | File> { for (const [, v] of this.entries()) yield v; }
  [Symbol.iterator](): IterableIterator<Entry> { return this.entries(); }
  get [Symbol.toStringTag](): string { return 'FormData'; }
}

export function formDataEntries(f: FormData): Entry[] { return fe(f); }

// structuredClone: Blob and File are serializable (their bytes are immutable, so sharing is a faithful copy).
registerCloner((v) => {
  if (v instanceof File) { const f = new File([], v.name, { type: v.type, lastModified: v.lastModified }); blobBytes.set(f, bytesOfBlob(v)); return { ok: true, value: f }; }
  if (v instanceof Blob) { const b = new Blob([], { type: v.type }); blobBytes.set(b, bytesOfBlob(v)); return { ok: true, value: b }; }
  return undefined;
});

for (const [n, c] of Object.entries({ Blob, File, FormData })) expose(n, c);
