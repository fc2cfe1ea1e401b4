import type { ConsoleRecord, InvokeRequest, InvokeResponse } from '../../host/isolate/api.js';
import { createIsotelSandbox, type IsotelSandbox } from '../../host/isolate/sandbox.js';

export interface Loaded { sandbox: IsotelSandbox; logs: ConsoleRecord[]; uncaught: Array<{ name: string; message: string }> }

/** A fresh sandbox with `source` loaded as hello.js. */
export async function loaded(source: string, opts: { memoryLimitMb?: number; env?: Record<string, string> } & Partial<Parameters<typeof createIsotelSandbox>[0]> = {}): Promise<Loaded> {
  const logs: ConsoleRecord[] = [];
  const uncaught: Array<{ name: string; message: string }> = [];
  const sandbox = await createIsotelSandbox({ memoryLimitMb: 64, onConsole: (r) => logs.push(r), onUncaught: (e) => uncaught.push(e), ...opts });
  await sandbox.load(source, { filename: 'hello.js', env: opts.env ?? {} });
  return { sandbox, logs, uncaught };
}

let n = 0;
export function req(url = 'http://fn.test/path?q=1', init: Partial<InvokeRequest> = {}): InvokeRequest {
  return { method: 'GET', url, headers: [], body: null, ...init };
}
export function id(): string {
  return `inv-${++n}`;
}

export async function bodyText(r: InvokeResponse): Promise<string> {
  return new TextDecoder().decode(await bodyBytes(r));
}
export async function bodyBytes(r: InvokeResponse): Promise<Uint8Array> {
  if (r.body === null) return new Uint8Array(0);
  if (r.body instanceof Uint8Array) return r.body;
  const parts: Uint8Array[] = [];
  for await (const c of r.body) parts.push(c);
  return Buffer.concat(parts);
}
