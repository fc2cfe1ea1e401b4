/**
 * Fetch §5.2 Body mixin. A body is either known bytes (`source`, kept so the host
 * can take a whole response in one copy) or a ReadableStream (created lazily from
 * the bytes when user code touches `.body`).
 */
import { hostRandomBytes } from './00_bootstrap.js';
import { ReadableStream } from './10_streams.js';
import { bytesOf, decoder, toUSV, utf8Encode } from './11_encoding.js';
import { Blob, bytesOfBlob, concatBytes, File, FormData, formDataEntries } from './12_blob.js';

export interface BodyState {
  source: Uint8Array | null;
  stream: ReadableStream<Uint8Array> | null;
  used: boolean; // consumed through a mixin method while no stream existed
}

export interface Extracted { body: BodyState; type: string | null }

function streamFromBytes(b: Uint8Array): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (done || b.byteLength === 0) { c.close(); return; }
      done = true;
      c.enqueue(b.slice());
      c.close();
    },
  });
}

export function bodyStream(s: BodyState): ReadableStream<Uint8Array> {
  if (!s.stream) {
    s.stream = streamFromBytes(s.source ?? new Uint8Array(0));
    if (s.used) { (s.stream as any)._disturbed = true; }
  }
  return s.stream;
}

export function isDisturbed(s: BodyState | null): boolean {
  if (!s) return false;
  return s.used || (s.stream !== null && (s.stream as any)._disturbed === true);
}
export function isLocked(s: BodyState | null): boolean {
  return !!s?.stream?.locked;
}
export function isReadableStream(v: unknown): v is ReadableStream<Uint8Array> {
  return v instanceof ReadableStream;
}

/** Fetch "extract a body". */
export function extractBody(init: unknown, keepalive = false): Extracted {
  void keepalive;
  if (isReadableStream(init)) {
    if (init.locked || (init as any)._disturbed) throw new TypeError('Body: the ReadableStream is locked or has been read');
    return { body: { source: null, stream: init, used: false }, type: null };
  }
  if (init instanceof Blob) return { body: { source: bytesOfBlob(init), stream: null, used: false }, type: init.type || null };
  if (init instanceof ArrayBuffer || ArrayBuffer.isView(init)) return { body: { source: bytesOf(init, 'Body').slice(), stream: null, used: false }, type: null };
  if (init instanceof FormData) {
    const { bytes, boundary } = serializeMultipart(init);
    return { body: { source: bytes, stream: null, used: false }, type: `multipart/form-data; boundary=${boundary}` };
  }
  if (init instanceof URLSearchParams) return { body: { source: utf8Encode(String(init)), stream: null, used: false }, type: 'application/x-www-form-urlencoded;charset=UTF-8' };
  return { body: { source: utf8Encode(toUSV(init)), stream: null, used: false }, type: 'text/plain;charset=UTF-8' };
}

function escapeName(s: string, isFilename: boolean): string {
  s = s.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
  return isFilename ? s : s;
}
function serializeMultipart(fd: FormData): { bytes: Uint8Array; boundary: string } {
  const rnd = hostRandomBytes(16);
  const boundary = '----isotelFormBoundary' + Array.from(rnd, (b) => b.toString(16).padStart(2, '0')).join('');
  const parts: Uint8Array[] = [];
  for (const [name, value] of formDataEntries(fd)) {
    const n = escapeName(name.replace(/\r(?!\n)|(?<!\r)\n/g, '\r\n'), false);
    if (typeof value === 'string') {
      parts.push(utf8Encode(`--${boundary}\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${value.replace(/\r(?!\n)|(?<!\r)\n/g, '\r\n')}\r\n`));
    } else {
      parts.push(utf8Encode(`--${boundary}\r\nContent-Disposition: form-data; name="${n}"; filename="${escapeName(value.name, true)}"\r\nContent-Type: ${value.type || 'application/octet-stream'}\r\n\r\n`));
      parts.push(bytesOfBlob(value), utf8Encode('\r\n'));
    }
  }
  parts.push(utf8Encode(`--${boundary}--\r\n`));
  return { bytes: concatBytes(parts), boundary };
}

/** Reads the whole body ("fully read body"); marks it used. */
export async function consumeBody(s: BodyState | null): Promise<Uint8Array> {
  if (!s) return new Uint8Array(0);
  if (isDisturbed(s) || isLocked(s)) throw new TypeError('Body: the body has already been used (bodyUsed is true) or is locked');
  if (!s.stream) { s.used = true; return s.source ?? new Uint8Array(0); }
  const reader = s.stream.getReader();
  const chunks: Uint8Array[] = [];
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    if (!(value instanceof Uint8Array)) throw new TypeError('Body: a body stream chunk is not a Uint8Array');
    chunks.push(value);
  }
  return concatBytes(chunks.length ? chunks : [new Uint8Array(0)]);
}

function parseMime(ct: string | null): { essence: string; params: Map<string, string> } | null {
  if (!ct) return null;
  const [essence, ...rest] = ct.split(';');
  const params = new Map<string, string>();
  for (const p of rest) {
    const i = p.indexOf('=');
    if (i < 0) continue;
    let v = p.slice(i + 1).trim();
    if (v.startsWith('"')) v = v.slice(1, v.indexOf('"', 1) > 0 ? v.indexOf('"', 1) : undefined);
    const k = p.slice(0, i).trim().toLowerCase();
    if (!params.has(k)) params.set(k, v);
  }
  return { essence: essence!.trim().toLowerCase(), params };
}

function parseMultipart(bytes: Uint8Array, boundary: string): FormData {
  const fd = new FormData();
  const text = latin1(bytes);
  const delim = `--${boundary}`;
  let pos = text.indexOf(delim);
  if (pos < 0) throw new TypeError('Body.formData: the multipart body has no boundary delimiter');
  while (true) {
    pos += delim.length;
    if (text.startsWith('--', pos)) return fd;
    if (!text.startsWith('\r\n', pos)) throw new TypeError('Body.formData: malformed multipart delimiter');
    pos += 2;
    const headerEnd = text.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) throw new TypeError('Body.formData: malformed multipart part headers');
    const headers = text.slice(pos, headerEnd).split('\r\n');
    const next = text.indexOf(`\r\n${delim}`, headerEnd + 4);
    if (next < 0) throw new TypeError('Body.formData: unterminated multipart part');
    const content = bytes.subarray(headerEnd + 4, next);
    let name: string | null = null, filename: string | null = null, type = 'text/plain';
    for (const line of headers) {
      const i = line.indexOf(':');
      const k = line.slice(0, i).trim().toLowerCase();
      const v = line.slice(i + 1).trim();
      if (k === 'content-disposition') {
        const nm = /;\s*name="([^"]*)"/i.exec(v); if (nm) name = utf8Of(nm[1]!);
        const fn = /;\s*filename="([^"]*)"/i.exec(v); if (fn) filename = utf8Of(fn[1]!);
      } else if (k === 'content-type') type = v;
    }
    if (name === null) throw new TypeError('Body.formData: a multipart part has no name');
    if (filename !== null) fd.append(name, new File([content], filename, { type }));
    else fd.append(name, decoder.decode(content));
    pos = next + 2;
  }
}
function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  return s;
}
function utf8Of(latin: string): string {
  const b = new Uint8Array(latin.length);
  for (let i = 0; i < latin.length; i++) b[i] = latin.charCodeAt(i);
  return decoder.decode(b).replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%22/g, '"');
}

/** Installs the Body mixin methods on a prototype; `get` returns [state, content-type]. */
export function mixinBody(proto: object, get: (self: unknown) => { body: BodyState | null; contentType: () => string | null }): void {
  const methods = {
    get body(): ReadableStream<Uint8Array> | null { const b = get(this).body; return b ? bodyStream(b) : null; },
    get bodyUsed(): boolean { return isDisturbed(get(this).body); },
    async arrayBuffer(): Promise<ArrayBuffer> { const b = await consumeBody(get(this).body); return b.buffer.byteLength === b.byteLength && b.byteOffset === 0 && get(this).body?.stream ? b.buffer as ArrayBuffer : b.slice().buffer; },
    async bytes(): Promise<Uint8Array> { const b = await consumeBody(get(this).body); return get(this).body?.stream ? b : b.slice(); },
    async text(): Promise<string> { return decoder.decode(await consumeBody(get(this).body)); },
    async json(): Promise<unknown> { return JSON.parse(decoder.decode(await consumeBody(get(this).body))); },
    async blob(): Promise<Blob> { const g = get(this); const b = await consumeBody(g.body); return new Blob([b], { type: g.contentType() ?? '' }); },
    async formData(): Promise<FormData> {
      const g = get(this);
      const mime = parseMime(g.contentType());
      const b = await consumeBody(g.body);
      if (mime?.essence === 'multipart/form-data') {
        const boundary = mime.params.get('boundary');
        if (!boundary) throw new TypeError('Body.formData: multipart/form-data without a boundary parameter');
        return parseMultipart(b, boundary);
      }
      if (mime?.essence === 'application/x-www-form-urlencoded') {
        const fd = new FormData();
        for (const [k, v] of new URLSearchParams(decoder.decode(b))) fd.append(k, v);
        return fd;
      }
      throw new TypeError(`Body.formData: cannot parse a body of type ${JSON.stringify(g.contentType() ?? '')} (need multipart/form-data or application/x-www-form-urlencoded)`);
    },
  };
  for (const key of Object.getOwnPropertyNames(methods)) {
    const d = Object.getOwnPropertyDescriptor(methods, key)!;
    Object.defineProperty(proto, key, { ...d, enumerable: true, configurable: true });
  }
}

/** Tees a body for clone(): both halves read independently. */
export function cloneBody(s: BodyState): BodyState {
  if (isDisturbed(s) || isLocked(s)) throw new TypeError('clone: the body has already been used');
  if (!s.stream) return { source: s.source, stream: null, used: false };
  const [a, b] = s.stream.tee();
  s.stream = a;
  return { source: null, stream: b, used: false };
}
