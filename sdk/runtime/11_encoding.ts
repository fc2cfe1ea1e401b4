/**
 * WHATWG Encoding: TextEncoder, TextDecoder (UTF-8, UTF-16LE, UTF-16BE), and their
 * stream forms. Written to the spec's decoder algorithms (streaming, fatal, BOM).
 */
import { expose } from './00_bootstrap.js';
import { TransformStream } from './10_streams.js';

const DOMExc = (globalThis as any).DOMException as new (m?: string, n?: string) => Error;

/** Bytes of a BufferSource without copying. */
export function bytesOf(input: unknown, what: string): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (input instanceof ArrayBuffer || Object.prototype.toString.call(input) === '[object SharedArrayBuffer]') return new Uint8Array(input as ArrayBuffer);
  throw new TypeError(`${what}: the argument is not an ArrayBuffer or ArrayBufferView`);
}

/** USVString conversion: lone surrogates become U+FFFD (WebIDL). */
export function toUSV(s: unknown): string {
  const str = String(s);
  return (str as unknown as { toWellFormed?: () => string }).toWellFormed?.() ?? str.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

export function utf8Encode(input: string): Uint8Array {
  const s = toUSV(input);
  const out = new Uint8Array(s.length * 3);
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) { out[j++] = c; continue; }
    if (c < 0x800) { out[j++] = 0xc0 | (c >> 6); out[j++] = 0x80 | (c & 63); continue; }
    if (c >= 0xd800 && c <= 0xdbff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      out[j++] = 0xf0 | (c >> 18); out[j++] = 0x80 | ((c >> 12) & 63); out[j++] = 0x80 | ((c >> 6) & 63); out[j++] = 0x80 | (c & 63);
      continue;
    }
    out[j++] = 0xe0 | (c >> 12); out[j++] = 0x80 | ((c >> 6) & 63); out[j++] = 0x80 | (c & 63);
  }
  return out.slice(0, j);
}

export class TextEncoder {
  get encoding(): string { return 'utf-8'; }
  encode(input: string = ''): Uint8Array { return utf8Encode(input); }
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number } {
    if (!(destination instanceof Uint8Array)) throw new TypeError("encodeInto: parameter 2 is not of type 'Uint8Array'");
    const s = toUSV(source);
    let read = 0, written = 0;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      let units = 1;
      if (c >= 0xd800 && c <= 0xdbff) { c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(i + 1) - 0xdc00); units = 2; }
      const n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      if (written + n > destination.length) break;
      if (n === 1) destination[written] = c;
      else if (n === 2) { destination[written] = 0xc0 | (c >> 6); destination[written + 1] = 0x80 | (c & 63); }
      else if (n === 3) { destination[written] = 0xe0 | (c >> 12); destination[written + 1] = 0x80 | ((c >> 6) & 63); destination[written + 2] = 0x80 | (c & 63); }
      else { destination[written] = 0xf0 | (c >> 18); destination[written + 1] = 0x80 | ((c >> 12) & 63); destination[written + 2] = 0x80 | ((c >> 6) & 63); destination[written + 3] = 0x80 | (c & 63); }
      written += n; read += units; i += units - 1;
    }
    return { read, written };
  }
  get [Symbol.toStringTag](): string { return 'TextEncoder'; }
}

const LABELS: Record<string, string> = {};
for (const l of ['unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'utf-8', 'utf8', 'x-unicode20utf8']) LABELS[l] = 'utf-8';
for (const l of ['csunicode', 'iso-10646-ucs-2', 'ucs-2', 'unicode', 'unicodefeff', 'utf-16', 'utf-16le']) LABELS[l] = 'utf-16le';
for (const l of ['unicodefffe', 'utf-16be']) LABELS[l] = 'utf-16be';
for (const l of ['ansi_x3.4-1968', 'ascii', 'cp1252', 'cp819', 'csisolatin1', 'ibm819', 'iso-8859-1', 'iso-ir-100', 'iso8859-1', 'iso88591', 'iso_8859-1', 'iso_8859-1:1987', 'l1', 'latin1', 'us-ascii', 'windows-1252', 'x-cp1252']) LABELS[l] = 'windows-1252';
LABELS['x-user-defined'] = 'x-user-defined';
/** WHATWG index-windows-1252 for 0x80–0x9F (0xA0–0xFF map to U+00A0–U+00FF). */
const WINDOWS_1252_C1 = [0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178];

interface DecoderState { need: number; seen: number; cp: number; lower: number; upper: number; lead: number; surrogate: number; bomSeen: boolean }
const ENCODING_WS = /^[\t\n\f\r ]+|[\t\n\f\r ]+$/g;

/** Single-byte decoders: every byte maps to one code point (no errors, no state). */
function singleByte(bytes: Uint8Array, encoding: string): string {
  const codes = new Array<number>(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    codes[i] = b < 0x80 ? b : encoding === 'x-user-defined' ? 0xf780 + b - 0x80 : b < 0xa0 ? WINDOWS_1252_C1[b - 0x80]! : b;
  }
  let out = '';
  for (let i = 0; i < codes.length; i += 8192) out += String.fromCharCode.apply(null, codes.slice(i, i + 8192));
  return out;
}

export class TextDecoder {
  readonly #encoding: string;
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  #s: DecoderState = { need: 0, seen: 0, cp: 0, lower: 0x80, upper: 0xbf, lead: -1, surrogate: -1, bomSeen: false };
  constructor(label: string = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    const enc = LABELS[String(label).replace(ENCODING_WS, '').toLowerCase()];
    if (!enc) throw new RangeError(`TextDecoder: the encoding label ${JSON.stringify(String(label))} is not supported (isotel supports utf-8, utf-16le, utf-16be, windows-1252 and x-user-defined)`);
    if (options !== null && options !== undefined && typeof options !== 'object') throw new TypeError('TextDecoder: options must be an object');
    this.#encoding = enc;
    this.#fatal = !!options?.fatal;
    this.#ignoreBOM = !!options?.ignoreBOM;
  }
  get encoding(): string { return this.#encoding; }
  get fatal(): boolean { return this.#fatal; }
  get ignoreBOM(): boolean { return this.#ignoreBOM; }
  decode(input?: unknown, options: { stream?: boolean } = {}): string {
    const bytes = input === undefined || input === null ? new Uint8Array(0) : bytesOf(input, 'TextDecoder.decode');
    const stream = !!options?.stream;
    let out = this.#encoding === 'utf-8' ? this.#utf8(bytes, stream)
      : this.#encoding === 'windows-1252' || this.#encoding === 'x-user-defined' ? singleByte(bytes, this.#encoding)
      : this.#utf16(bytes, stream, this.#encoding === 'utf-16be');
    const s = this.#s;
    if (!s.bomSeen && out.length > 0) {
      s.bomSeen = true;
      if (!this.#ignoreBOM && out.charCodeAt(0) === 0xfeff) out = out.slice(1);
    }
    if (!stream) this.#s = { need: 0, seen: 0, cp: 0, lower: 0x80, upper: 0xbf, lead: -1, surrogate: -1, bomSeen: false };
    return out;
  }
  #error(): number {
    if (this.#fatal) throw new TypeError('TextDecoder: the encoded data is not valid');
    return 0xfffd;
  }
  #utf8(bytes: Uint8Array, stream: boolean): string {
    const s = this.#s;
    const parts: string[] = [];
    let buf: number[] = [];
    const push = (cp: number) => {
      if (cp > 0xffff) { cp -= 0x10000; buf.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff)); } else buf.push(cp);
      if (buf.length > 8192) { parts.push(String.fromCharCode.apply(null, buf)); buf = []; }
    };
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (s.need === 0) {
        if (b < 0x80) { push(b); continue; }
        if (b >= 0xc2 && b <= 0xdf) { s.need = 1; s.cp = b & 0x1f; }
        else if (b >= 0xe0 && b <= 0xef) { if (b === 0xe0) s.lower = 0xa0; if (b === 0xed) s.upper = 0x9f; s.need = 2; s.cp = b & 0xf; }
        else if (b >= 0xf0 && b <= 0xf4) { if (b === 0xf0) s.lower = 0x90; if (b === 0xf4) s.upper = 0x8f; s.need = 3; s.cp = b & 0x7; }
        else push(this.#error());
        continue;
      }
      if (b < s.lower || b > s.upper) {
        s.cp = s.need = s.seen = 0; s.lower = 0x80; s.upper = 0xbf;
        push(this.#error());
        i--; // reprocess this byte
        continue;
      }
      s.lower = 0x80; s.upper = 0xbf;
      s.cp = (s.cp << 6) | (b & 0x3f);
      if (++s.seen === s.need) { const cp = s.cp; s.cp = s.need = s.seen = 0; push(cp); }
    }
    if (!stream && s.need !== 0) { s.cp = s.need = s.seen = 0; s.lower = 0x80; s.upper = 0xbf; push(this.#error()); }
    parts.push(String.fromCharCode.apply(null, buf));
    return parts.join('');
  }
  #utf16(bytes: Uint8Array, stream: boolean, be: boolean): string {
    const s = this.#s;
    let out = '';
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (s.lead < 0) { s.lead = b; continue; }
      const unit = be ? (s.lead << 8) | b : (b << 8) | s.lead;
      s.lead = -1;
      if (s.surrogate >= 0) {
        const lead = s.surrogate;
        s.surrogate = -1;
        if (unit >= 0xdc00 && unit <= 0xdfff) { out += String.fromCharCode(lead, unit); continue; }
        out += String.fromCharCode(this.#error());
      }
      if (unit >= 0xd800 && unit <= 0xdbff) { s.surrogate = unit; continue; }
      if (unit >= 0xdc00 && unit <= 0xdfff) { out += String.fromCharCode(this.#error()); continue; }
      out += String.fromCharCode(unit);
    }
    if (!stream && (s.lead >= 0 || s.surrogate >= 0)) { s.lead = -1; s.surrogate = -1; out += String.fromCharCode(this.#error()); }
    return out;
  }
  get [Symbol.toStringTag](): string { return 'TextDecoder'; }
}

export class TextEncoderStream {
  readonly #ts: TransformStream<string, Uint8Array>;
  constructor() {
    let pendingHigh = '';
    this.#ts = new TransformStream<string, Uint8Array>({
      transform(chunk, controller) {
        let s = pendingHigh + String(chunk);
        pendingHigh = '';
        const last = s.charCodeAt(s.length - 1);
        if (last >= 0xd800 && last <= 0xdbff) { pendingHigh = s.slice(-1); s = s.slice(0, -1); }
        if (s.length > 0) controller.enqueue(utf8Encode(s));
      },
      flush(controller) { if (pendingHigh) controller.enqueue(new Uint8Array([0xef, 0xbf, 0xbd])); },
    });
  }
  get encoding(): string { return 'utf-8'; }
  get readable(): ReadableStream { return this.#ts.readable as unknown as ReadableStream; }
  get writable(): WritableStream { return this.#ts.writable as unknown as WritableStream; }
  get [Symbol.toStringTag](): string { return 'TextEncoderStream'; }
}

export class TextDecoderStream {
  readonly #ts: TransformStream<unknown, string>;
  readonly #d: TextDecoder;
  constructor(label: string = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    const d = (this.#d = new TextDecoder(label, options));
    this.#ts = new TransformStream<unknown, string>({
      transform(chunk, controller) { const s = d.decode(bytesOf(chunk, 'TextDecoderStream'), { stream: true }); if (s) controller.enqueue(s); },
      flush(controller) { const s = d.decode(); if (s) controller.enqueue(s); },
    });
  }
  get encoding(): string { return this.#d.encoding; }
  get fatal(): boolean { return this.#d.fatal; }
  get ignoreBOM(): boolean { return this.#d.ignoreBOM; }
  get readable(): ReadableStream { return this.#ts.readable as unknown as ReadableStream; }
  get writable(): WritableStream { return this.#ts.writable as unknown as WritableStream; }
  get [Symbol.toStringTag](): string { return 'TextDecoderStream'; }
}
void DOMExc;

type ReadableStream = import('./10_streams.js').ReadableStream;
type WritableStream = import('./10_streams.js').WritableStream;

for (const [n, c] of Object.entries({ TextEncoder, TextDecoder, TextEncoderStream, TextDecoderStream })) expose(n, c);
export const encoder = new TextEncoder();
export const decoder = new TextDecoder();
