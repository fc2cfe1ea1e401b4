/**
 * HTML channel messaging: MessageChannel and MessagePort (entangled pairs inside one
 * isolate). Messages are structured-cloned and delivered as tasks (host timers), so
 * they arrive after the current task, in order; a port's queue starts on start() or
 * when onmessage is set.
 */
import { expose } from './00_bootstrap.js';
import { structuredClone } from './01_webidl.js';
import { EventTarget, MessageEvent, defineEventHandler, markTrusted } from './02_events.js';

interface PortState { other: MessagePort | null; started: boolean; closed: boolean; queue: unknown[]; scheduled: boolean }
const portState = new WeakMap<object, PortState>();
let constructing = false;
function ps(p: unknown): PortState {
  const s = portState.get(p as object);
  if (!s) throw new TypeError('Illegal invocation: not a MessagePort');
  return s;
}

function deliver(port: MessagePort): void {
  const s = ps(port);
  if (!s.started || s.scheduled || s.queue.length === 0) return;
  s.scheduled = true;
  (globalThis as unknown as { setTimeout(fn: () => void, ms: number): number }).setTimeout(() => {
    s.scheduled = false;
    if (s.closed) { s.queue.length = 0; return; }
    const data = s.queue.shift();
    const ev = new MessageEvent('message', { data, ports: [] });
    markTrusted(ev);
    port.dispatchEvent(ev);
    deliver(port);
  }, 0);
}

export class MessagePort extends EventTarget {
  constructor() {
    if (!constructing) throw new TypeError('Illegal constructor');
    super();
    portState.set(this, { other: null, started: false, closed: false, queue: [], scheduled: false });
  }
  postMessage(message: unknown, transferOrOptions?: unknown): void {
    if (arguments.length === 0) throw new TypeError('MessagePort.postMessage: 1 argument required');
    const s = ps(this);
    const transfer = Array.isArray(transferOrOptions) ? transferOrOptions : (transferOrOptions as { transfer?: unknown[] } | undefined)?.transfer ?? [];
    for (const t of transfer) {
      if (t === this) throw new DOMExceptionCtor('postMessage: a port cannot transfer itself', 'DataCloneError');
      if (t instanceof MessagePort) throw new DOMExceptionCtor('postMessage: transferring MessagePorts is not supported in isotel', 'DataCloneError');
    }
    const data = structuredClone(message, { transfer: transfer.filter((t) => t instanceof ArrayBuffer) });
    const other = s.other;
    if (!other || s.closed) return;
    ps(other).queue.push(data);
    deliver(other);
  }
  start(): void { const s = ps(this); s.started = true; deliver(this); }
  close(): void {
    const s = ps(this);
    s.closed = true;
    const other = s.other;
    s.other = null;
    if (other) ps(other).other = null;
  }
  override get [Symbol.toStringTag](): string { return 'MessagePort'; }
}
defineEventHandler(MessagePort.prototype, 'messageerror');
// Setting onmessage starts the port (HTML §9.4.4).
{
  defineEventHandler(MessagePort.prototype, 'message');
  const d = Object.getOwnPropertyDescriptor(MessagePort.prototype, 'onmessage')!;
  Object.defineProperty(MessagePort.prototype, 'onmessage', { ...d, set(this: MessagePort, v: unknown) { d.set!.call(this, v); this.start(); } });
}
const DOMExceptionCtor = (globalThis as unknown as { DOMException: new (m: string, n: string) => Error }).DOMException;

export class MessageChannel {
  readonly #port1: MessagePort;
  readonly #port2: MessagePort;
  constructor() {
    constructing = true;
    try { this.#port1 = new MessagePort(); this.#port2 = new MessagePort(); } finally { constructing = false; }
    ps(this.#port1).other = this.#port2;
    ps(this.#port2).other = this.#port1;
  }
  get port1(): MessagePort { return this.#port1; }
  get port2(): MessagePort { return this.#port2; }
  get [Symbol.toStringTag](): string { return 'MessageChannel'; }
}
expose('MessagePort', MessagePort);
expose('MessageChannel', MessageChannel);
