/**
 * fetch() (Fetch §5.6): the request is handed to the host (undici, egress policy,
 * subrequest limit); bodies stream both ways through pull-based ops.
 */
import { BODY_BYTES, BODY_NONE, BODY_STREAM } from '../protocol/entry.js';
import { allocId, asyncOp, asyncOpWithId, expose, forgetOp, op } from './00_bootstrap.js';
import { atob } from './01_webidl.js';
import { addAbortAlgorithm } from './02_events.js';
import { URL, percentDecodeBytes } from './04_url.js';
import { ReadableStream } from './10_streams.js';
import type { ReadableStreamDefaultReader } from 'web-streams-polyfill';
import { type BodyState, isDisturbed, isLocked } from './21_body.js';
import { headersFromFlat, headersToFlat } from './20_headers.js';
import { Request, type RequestInfo, type RequestInit, makeResponse, rs, type Response } from './22_request_response.js';

let currentInvocation: () => string = () => '';
export function setFetchInvocationLookup(fn: () => string): void { currentInvocation = fn; }
/** Set by 40_otel.ts: starts the CLIENT span and injects trace headers into the flat list (null: untraced). */
type FetchTelemetry = (method: string, url: string, headers: string[]) => { response(status: number): void; error(e: unknown): void } | null;
let fetchTelemetry: FetchTelemetry = () => null;
export function setFetchTelemetry(fn: FetchTelemetry): void { fetchTelemetry = fn; }

// ---- outgoing streams the host pulls from (response bodies and fetch request bodies)
const outStreams = new Map<number, ReadableStreamDefaultReader<Uint8Array>>();
let nextStream = 1;

export function registerOutStream(stream: ReadableStream<Uint8Array>): number {
  const id = nextStream++;
  outStreams.set(id, stream.getReader());
  return id;
}
function errMessage(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
/** Host pulls the next chunk: answered with op 'chunk'. */
export function pullOutStream(id: number): void {
  const reader = outStreams.get(id);
  if (!reader) { op('chunk', id, null, 'stream is gone'); return; }
  reader.read().then(({ value, done }) => {
    if (done) { outStreams.delete(id); op('chunk', id, null, ''); return; }
    if (!(value instanceof Uint8Array)) {
      outStreams.delete(id);
      const err = new TypeError('a body stream chunk must be a Uint8Array');
      reader.cancel(err).catch(() => {});
      op('chunk', id, null, errMessage(err));
      return;
    }
    // Structured clone copies a view's whole buffer: send exactly the view's bytes.
    const chunk = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength ? value : value.slice();
    op('chunk', id, chunk, '');
  }, (e: unknown) => { outStreams.delete(id); op('chunk', id, null, errMessage(e) || 'stream errored'); });
}
export function cancelOutStream(id: number, reason: string): void {
  const reader = outStreams.get(id);
  if (!reader) return;
  outStreams.delete(id);
  reader.cancel(reason).catch(() => {});
}

/** Body crossing to the host: known bytes go whole, streams by id. */
export function bodyForHost(b: BodyState | null): [number, Uint8Array | number | null] {
  if (!b) return [BODY_NONE, null];
  if (isDisturbed(b) || isLocked(b)) throw new TypeError('the body has already been used');
  if (!b.stream) { b.used = true; return [BODY_BYTES, b.source ?? new Uint8Array(0)]; }
  return [BODY_STREAM, registerOutStream(b.stream)];
}

/** A ReadableStream whose chunks come from a host op (`reqRead`/`fetchRead`), pulled on demand. */
export function hostStream(read: () => Promise<Uint8Array | null>, cancel: () => void): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const chunk = await read();
      if (chunk === null) c.close();
      else if (chunk.byteLength > 0) c.enqueue(chunk);
    },
    cancel() { cancel(); },
  }, { highWaterMark: 0 });
}

/** Fetch's scheme fetch for `data:` URLs (the "data: URL processor"), answered inside the isolate. */
function dataURLResponse(href: string): Response {
  const url = new URL(href);
  url.hash = '';
  let input = url.href.slice('data:'.length);
  const comma = input.indexOf(',');
  if (comma < 0) throw new TypeError(`fetch failed: ${JSON.stringify(href)} is not a valid data: URL (no comma)`);
  let mime = input.slice(0, comma).replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '');
  input = input.slice(comma + 1);
  let bytes = Uint8Array.from(percentDecodeBytes(input));
  const b64 = /;[\x20]*base64$/i.exec(mime);
  if (b64) {
    mime = mime.slice(0, b64.index);
    let text = String.fromCharCode(...bytes).replace(/[\t\n\f\r ]/g, '');
    if (text.length % 4 === 0) text = text.replace(/==?$/, '');
    if (text.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(text)) throw new TypeError(`fetch failed: ${JSON.stringify(href)} has invalid base64 data`);
    bytes = Uint8Array.from(atob(text), (c: string) => c.charCodeAt(0));
  }
  if (mime.startsWith(';')) mime = 'text/plain' + mime;
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\/[!#$%&'*+\-.^_`|~0-9A-Za-z]+(;.*)?$/.test(mime)) mime = 'text/plain;charset=US-ASCII';
  return makeResponse(200, 'OK', headersFromFlat(['content-type', mime], 'immutable'), { source: bytes, stream: null, used: false }, href, false);
}

async function fetchImpl(input: RequestInfo, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const s = rs(request);
  if (s.signal.aborted) throw s.signal.reason;
  if (s.url.startsWith('data:')) return dataURLResponse(s.url);
  const [mode, payload] = bodyForHost(s.body);
  const id = allocId();
  let aborted = false;
  const stopAbort = addAbortAlgorithm(s.signal, () => {
    aborted = true;
    forgetOp(id);
    op('fetchAbort', id);
    if (mode === BODY_STREAM) cancelOutStream(payload as number, 'aborted');
  });
  const flatHeaders = headersToFlat(s.headers);
  const traced = fetchTelemetry(s.method, s.url, flatHeaders);
  const result = new Promise<Response>((resolve, reject) => {
    const onAbort = addAbortAlgorithm(s.signal, () => { traced?.error(s.signal.reason); reject(s.signal.reason); });
    asyncOpWithId<[number, string, string[], string, boolean, number]>(id, 'fetch', currentInvocation(), s.method, s.url, flatHeaders, mode, payload, s.redirect).then(
      ([status, statusText, headers, url, redirected, bodyId]) => {
        onAbort();
        traced?.response(status);
        let body: BodyState | null = null;
        if (bodyId >= 0) {
          const stream = hostStream(() => asyncOp<Uint8Array | null>('fetchRead', bodyId), () => op('fetchCancel', bodyId));
          body = { source: null, stream, used: false };
          addAbortAlgorithm(s.signal, () => { stream.cancel(s.signal.reason).catch(() => {}); });
        }
        resolve(makeResponse(status, statusText, headersFromFlat(headers, 'immutable'), body, url, redirected));
      },
      (e: unknown) => { onAbort(); if (!aborted) traced?.error(e); reject(aborted ? s.signal.reason : e); },
    );
  });
  try { return await result; } finally { stopAbort(); }
}

expose('fetch', function fetch(input: RequestInfo, init?: RequestInit): Promise<Response> {
  if (arguments.length === 0) return Promise.reject(new TypeError("fetch: 1 argument required, but only 0 present."));
  try { return fetchImpl(input, init as RequestInit); } catch (e) { return Promise.reject(e); }
});
