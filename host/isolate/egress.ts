/**
 * Outbound fetch() from functions, performed by the host with undici.
 *
 * - Egress policy: loopback, private, link-local, CGNAT, multicast and cloud-metadata
 *   addresses are denied unless the function's allow-list opens them. The check is on
 *   the resolved IP, inside the socket's DNS lookup, so a name that resolves (or
 *   rebinds) to a denied address is caught at connect time, for every redirect hop.
 * - Subrequest limit per invocation.
 * - Bodies stream both ways: request bodies are pulled from the isolate chunk by
 *   chunk, response bodies are read one chunk per `fetchRead` (undici's stream
 *   buffers at most its highWaterMark ahead).
 * - Calls the host can serve itself (its own gateway URL) go to `dispatchInternal`.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, request as undiciRequest } from 'undici';
import type { Dispatcher } from 'undici';
import { BODY_BYTES, BODY_STREAM, type BodyMode } from '../../sdk/protocol/entry.js';
import type { EgressPolicy, InvokeResponse, SandboxOptions } from './api.js';

export const DEFAULT_SUBREQUEST_LIMIT = 50;
const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Address ranges no function reaches unless allowed. */
function defaultDenyList(): BlockList {
  const b = new BlockList();
  for (const [net, prefix] of [
    ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
    ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
    ['100.100.100.200', 32], // Alibaba Cloud metadata
  ] as const) b.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2001:db8::', 32]] as const) b.addSubnet(net, prefix, 'ipv6');
  return b;
}
const DENY = defaultDenyList();

export class EgressDenied extends Error {
  readonly code = 'ISOTEL_ERR_EGRESS_DENIED';
}

/** Parsed allow-list: hostnames (exact or `*.suffix`) and IP/CIDR ranges. */
export class EgressRules {
  readonly #hosts = new Set<string>();
  readonly #suffixes: string[] = [];
  readonly #ranges = new BlockList();

  constructor(policy: EgressPolicy | undefined) {
    for (const raw of policy?.allow ?? []) {
      const entry = raw.trim().toLowerCase();
      if (entry === '') continue;
      const [addr, bits] = entry.split('/');
      const family = isIP(addr!.replace(/^\[|\]$/g, ''));
      if (family) {
        const a = addr!.replace(/^\[|\]$/g, '');
        const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
        if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) throw new TypeError(`egress allow-list: ${JSON.stringify(raw)} has an invalid prefix length`);
        this.#ranges.addSubnet(a, prefix, family === 4 ? 'ipv4' : 'ipv6');
      } else if (entry.startsWith('*.')) this.#suffixes.push(entry.slice(1));
      else if (/^[a-z0-9.-]+$/.test(entry)) this.#hosts.add(entry.replace(/\.$/, ''));
      else throw new TypeError(`egress allow-list: ${JSON.stringify(raw)} is not a hostname, *.suffix, IP address or CIDR range`);
    }
  }

  hostAllowed(hostname: string): boolean {
    const h = hostname.toLowerCase().replace(/\.$/, '');
    return this.#hosts.has(h) || this.#suffixes.some((s) => h.endsWith(s));
  }

  /** Why an address is denied, or undefined when it may be reached. */
  denyReason(address: string): string | undefined {
    let a = address;
    let family = isIP(a);
    if (family === 6) {
      // IPv4-mapped / -compatible forms reach IPv4 hosts: judge them as IPv4.
      const mapped = /^::(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
      if (mapped) { a = mapped[1]!; family = 4; }
    }
    if (family === 0) return `${address} is not an IP address`;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (this.#ranges.check(a, type)) return undefined;
    if (DENY.check(a, type)) return `${address} is a loopback, private, link-local or metadata address`;
    return undefined;
  }
}

interface OutBody { iterator: AsyncIterator<Uint8Array>; close(): void }

export class EgressOps {
  readonly #options: SandboxOptions;
  #rules: EgressRules;
  #limit: number;
  readonly #complete: (id: number, ok: boolean, value: unknown) => void;
  readonly #track: (delta: number) => void;
  readonly #counts = new Map<string, number>();
  readonly #inflight = new Map<number, AbortController>();
  readonly #bodies = new Map<number, OutBody>();
  #nextBody = 1;
  #agent: Agent | undefined;
  #disposed = false;

  constructor(options: SandboxOptions, complete: (id: number, ok: boolean, value: unknown) => void, track: (delta: number) => void) {
    this.#options = options;
    this.#rules = new EgressRules(options.egress);
    this.#limit = options.egress?.subrequestLimit ?? DEFAULT_SUBREQUEST_LIMIT;
    this.#complete = complete;
    this.#track = track;
  }

  /** Applies the loaded function's own policy (pooled sandboxes are made before the function is known). */
  configure(policy: EgressPolicy | undefined): void {
    this.#rules = new EgressRules(policy);
    this.#limit = policy?.subrequestLimit ?? DEFAULT_SUBREQUEST_LIMIT;
  }

  /** One agent per sandbox, made on first use; its DNS lookup enforces the policy on resolved addresses. */
  #dispatcher(): Agent {
    this.#agent ??= new Agent({
      connect: {
        lookup: (hostname: string, options: object, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
          dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
            if (err) return callback(err, '', 0);
            const list = addresses as LookupAddress[];
            if (!this.#rules.hostAllowed(hostname)) {
              for (const a of list) {
                const why = this.#rules.denyReason(a.address);
                if (why) return callback(new EgressDenied(`ISOTEL_ERR_EGRESS_DENIED: ${hostname} resolves to ${why}; add it to the function's egress allow-list to reach it`), '', 0);
              }
            }
            if ((options as { all?: boolean }).all) callback(null, list);
            else callback(null, list[0]!.address, list[0]!.family);
          });
        },
      } as object,
      keepAliveTimeout: 4_000,
    });
    return this.#agent;
  }

  /** Ends the accounting of one invocation; `idle`: no invocation is in flight any more (resets the shared bucket). */
  endInvocation(invocationId: string, idle: boolean): void {
    this.#counts.delete(invocationId);
    if (idle) this.#counts.delete('');
  }

  handle(name: string, args: unknown[], pullStream: (streamId: number) => AsyncIterable<Uint8Array>): void {
    switch (name) {
      case 'fetch': {
        const [id, invocationId, method, url, headers, mode, payload, redirect] = args as [number, string, string, string, string[], BodyMode, Uint8Array | number | null, string];
        this.#track(1);
        const ac = new AbortController();
        this.#inflight.set(id, ac);
        this.#fetch(invocationId, method, url, headers, mode === BODY_BYTES ? (payload as Uint8Array) : mode === BODY_STREAM ? pullStream(payload as number) : null, redirect, ac.signal)
          .then((r) => this.#complete(id, true, r), (e: unknown) => this.#complete(id, false, fetchError(e)))
          .finally(() => { this.#inflight.delete(id); this.#track(-1); });
        return;
      }
      case 'fetchAbort': {
        this.#inflight.get(args[0] as number)?.abort();
        return;
      }
      case 'fetchRead': {
        const [id, bodyId] = args as [number, number];
        const body = this.#bodies.get(bodyId);
        if (!body) { this.#complete(id, true, null); return; }
        this.#track(1);
        body.iterator.next().then(
          (r) => {
            if (r.done) { this.#bodies.delete(bodyId); this.#complete(id, true, null); return; }
            // An exact copy: Buffers from undici may view a larger pooled ArrayBuffer.
            this.#complete(id, true, new Uint8Array(r.value));
          },
          (e: unknown) => { this.#bodies.delete(bodyId); this.#complete(id, false, fetchError(e)); },
        ).finally(() => this.#track(-1));
        return;
      }
      case 'fetchCancel': {
        const body = this.#bodies.get(args[0] as number);
        this.#bodies.delete(args[0] as number);
        body?.close();
        return;
      }
    }
  }

  async #fetch(invocationId: string, method: string, url: string, flat: string[], body: Uint8Array | AsyncIterable<Uint8Array> | null, redirect: string, signal: AbortSignal): Promise<[number, string, string[], string, boolean, number]> {
    if (this.#disposed) throw new TypeError('fetch failed: the sandbox was disposed');
    // Fetches the runtime could not attribute (several invocations in flight) share one bucket, reset when the
    // sandbox goes idle: the limit still bounds them.
    const key = invocationId || '';
    const count = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, count);
    if (count > this.#limit) throw new TypeError(`ISOTEL_ERR_SUBREQUEST_LIMIT: ${invocationId ? 'this invocation' : 'the invocations in flight in this isolate'} made more than ${this.#limit} fetch() subrequests`);
    const headers: Array<[string, string]> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) headers.push([flat[i]!, flat[i + 1]!]);

    // Served inside the host (the host's own gateway): no network round trip.
    const internal = await this.#options.dispatchInternal?.({ method, url, headers, body }, { invocationId: invocationId || undefined });
    if (internal) return [internal.status, internal.statusText, flatten(internal.headers), url, false, this.#register(internal.body)];

    let current = new URL(url);
    let currentMethod = method;
    let currentBody = body;
    let currentHeaders = headers;
    for (let hop = 0; ; hop++) {
      if (current.protocol !== 'http:' && current.protocol !== 'https:') throw new TypeError(`fetch failed: the URL scheme ${current.protocol} is not supported (http: and https: are)`);
      this.#checkLiteral(current.hostname);
      const res = await undiciRequest(current, {
        method: currentMethod as Dispatcher.HttpMethod,
        headers: currentHeaders.flat(),
        body: currentBody === null ? null : currentBody instanceof Uint8Array ? currentBody : (asyncIterable(currentBody) as unknown as Dispatcher.DispatchOptions['body']),
        signal,
        dispatcher: this.#dispatcher(),
      });
      // Errors reach the reader through the iterator; without a listener, a body destroyed on dispose would be an uncaught exception in the host.
      res.body.on('error', () => {});
      const location = res.headers.location;
      if (REDIRECTS.has(res.statusCode) && location !== undefined && redirect !== 'manual') {
        if (redirect === 'error') { res.body.destroy(); throw new TypeError(`fetch failed: ${current.href} redirected (status ${res.statusCode}) and the request's redirect mode is 'error'`); }
        if (hop >= MAX_REDIRECTS) { res.body.destroy(); throw new TypeError(`fetch failed: more than ${MAX_REDIRECTS} redirects`); }
        res.body.resume();
        const next = new URL(Array.isArray(location) ? location[0]! : location, current);
        // Fetch §4.4 HTTP-redirect fetch: 303 (and 301/302 after POST) become GET without a body.
        if (res.statusCode === 303 && currentMethod !== 'GET' && currentMethod !== 'HEAD' || (res.statusCode === 301 || res.statusCode === 302) && currentMethod === 'POST') {
          currentMethod = 'GET';
          currentBody = null;
          currentHeaders = currentHeaders.filter(([n]) => !/^(content-(type|length|encoding|language|location))$/i.test(n));
        } else if (currentBody !== null && !(currentBody instanceof Uint8Array)) {
          throw new TypeError('fetch failed: cannot follow a redirect with a streamed request body (it cannot be replayed)');
        }
        if (next.origin !== current.origin) currentHeaders = currentHeaders.filter(([n]) => !/^(authorization|cookie|proxy-authorization)$/i.test(n));
        current = next;
        continue;
      }
      const out: string[] = [];
      for (const [n, v] of Object.entries(res.headers)) {
        if (Array.isArray(v)) for (const x of v) out.push(n, x);
        else if (v !== undefined) out.push(n, String(v));
      }
      const nullBody = currentMethod === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
      let bodyId = -1;
      if (nullBody) res.body.resume();
      else bodyId = this.#register(res.body, () => res.body.destroy());
      return [res.statusCode, res.statusText ?? '', out, current.href, hop > 0, bodyId];
    }
  }

  #checkLiteral(hostname: string): void {
    const h = hostname.replace(/^\[|\]$/g, '');
    if (isIP(h) === 0) return; // names are checked on their resolved addresses, in the agent's lookup
    if (this.#rules.hostAllowed(h)) return;
    const why = this.#rules.denyReason(h);
    if (why) throw new EgressDenied(`ISOTEL_ERR_EGRESS_DENIED: ${why}; add it to the function's egress allow-list to reach it`);
  }

  #register(body: InvokeResponse['body'] | AsyncIterable<Uint8Array>, close?: () => void): number {
    if (body === null) return -1;
    const id = this.#nextBody++;
    const source: AsyncIterable<Uint8Array> = body instanceof Uint8Array ? (async function* () { if (body.byteLength) yield body; })() : body;
    const iterator = source[Symbol.asyncIterator]();
    this.#bodies.set(id, { iterator, close: () => { iterator.return?.().catch(() => {}); close?.(); } });
    return id;
  }

  dispose(): void {
    this.#disposed = true;
    for (const ac of this.#inflight.values()) ac.abort();
    this.#inflight.clear();
    for (const b of this.#bodies.values()) b.close();
    this.#bodies.clear();
    this.#agent?.destroy().catch(() => {});
  }
}

function asyncIterable(it: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  return it;
}

function flatten(h: InvokeResponse['headers']): string[] {
  const out: string[] = [];
  for (const [n, v] of h) out.push(n, v);
  return out;
}

/** Fetch failures surface in the isolate as TypeError (the spec's network error), AbortError when aborted. */
function fetchError(e: unknown): [string, string] {
  const err = e as { name?: string; message?: string; code?: string; cause?: { message?: string; code?: string } };
  if (err?.name === 'AbortError' || err?.code === 'UND_ERR_ABORTED') return ['AbortError', 'The operation was aborted'];
  const msg = String(err?.message ?? e);
  if (msg.startsWith('ISOTEL_ERR_') || msg.startsWith('fetch failed')) return ['TypeError', msg];
  const cause = err?.cause?.message ?? err?.code;
  return ['TypeError', `fetch failed: ${msg}${cause && !msg.includes(String(cause)) ? ` (${cause})` : ''}`];
}
