/**
 * Host side of crypto.subtle: each SubtleCrypto call from an isolate runs on Node's
 * WebCrypto. Keys stay in the host, in a per-sandbox table; the isolate holds integer
 * handles (released when its CryptoKey objects are garbage-collected, or on dispose).
 */
import { webcrypto } from 'node:crypto';

type Key = webcrypto.CryptoKey;
const subtle = webcrypto.subtle;
/** Keys one sandbox may hold at once: bounds host memory a function can pin. */
const MAX_KEYS = 10_000;

export interface KeyRecord { __keyRecord: true; handle: number; type: string; extractable: boolean; algorithm: unknown; usages: string[] }

export class CryptoOps {
  readonly #keys = new Map<number, Key>();
  #next = 1;

  #record(key: Key): KeyRecord {
    if (this.#keys.size >= MAX_KEYS) throw new DOMException(`this isolate holds ${MAX_KEYS} CryptoKeys; drop references to unused keys`, 'QuotaExceededError');
    const handle = this.#next++;
    this.#keys.set(handle, key);
    return { __keyRecord: true, handle, type: key.type, extractable: key.extractable, algorithm: plain(key.algorithm), usages: [...key.usages] };
  }

  #key(v: unknown): Key {
    const h = (v as { __key?: unknown } | null)?.__key;
    const k = typeof h === 'number' ? this.#keys.get(h) : undefined;
    if (!k) throw new TypeError('the key is not a CryptoKey of this isolate');
    return k;
  }

  /** Replaces {__key: handle} members (e.g. ECDH `public`) with the host keys. */
  #alg(a: unknown): any {
    if (a === null || typeof a !== 'object' || ArrayBuffer.isView(a)) return a;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(a as Record<string, unknown>)) out[k] = v !== null && typeof v === 'object' && '__key' in (v as object) ? this.#key(v) : v;
    return out;
  }

  release(handle: number): void {
    this.#keys.delete(handle);
  }

  async run(method: string, args: unknown[]): Promise<unknown> {
    try {
      return await this.#run(method, args);
    } catch (e) {
      // Node 20 names one of its DOMExceptions 'InvalidAccessException'; WebCrypto says InvalidAccessError.
      if ((e as Error)?.name === 'InvalidAccessException') throw new DOMException((e as Error).message, 'InvalidAccessError');
      throw e;
    }
  }

  async #run(method: string, args: unknown[]): Promise<unknown> {
    const a = args as any[];
    switch (method) {
      case 'digest': return new Uint8Array(await subtle.digest(this.#alg(a[0]), a[1]));
      case 'generateKey': {
        const r = await subtle.generateKey(this.#alg(a[0]), a[1], a[2]);
        return 'publicKey' in (r as object) ? { publicKey: this.#record((r as webcrypto.CryptoKeyPair).publicKey), privateKey: this.#record((r as webcrypto.CryptoKeyPair).privateKey) } : this.#record(r as unknown as Key);
      }
      case 'importKey': return this.#record(await subtle.importKey(a[0], a[1], this.#alg(a[2]), a[3], a[4]));
      case 'exportKey': {
        const r = await subtle.exportKey(a[0], this.#key(a[1]));
        return r instanceof ArrayBuffer ? new Uint8Array(r) : r;
      }
      case 'sign': return new Uint8Array(await subtle.sign(this.#alg(a[0]), this.#key(a[1]), a[2]));
      case 'verify': return subtle.verify(this.#alg(a[0]), this.#key(a[1]), a[2], a[3]);
      case 'encrypt': return new Uint8Array(await subtle.encrypt(this.#alg(a[0]), this.#key(a[1]), a[2]));
      case 'decrypt': return new Uint8Array(await subtle.decrypt(this.#alg(a[0]), this.#key(a[1]), a[2]));
      case 'deriveBits': return new Uint8Array(await subtle.deriveBits(this.#alg(a[0]), this.#key(a[1]), a[2]));
      case 'deriveKey': return this.#record(await subtle.deriveKey(this.#alg(a[0]), this.#key(a[1]), this.#alg(a[2]), a[3], a[4]));
      case 'wrapKey': return new Uint8Array(await subtle.wrapKey(a[0], this.#key(a[1]), this.#key(a[2]), this.#alg(a[3])));
      case 'unwrapKey': return this.#record(await subtle.unwrapKey(a[0], a[1], this.#key(a[2]), this.#alg(a[3]), this.#alg(a[4]), a[5], a[6]));
      default: throw new TypeError(`SubtleCrypto has no method ${JSON.stringify(method)}`);
    }
  }

  dispose(): void {
    this.#keys.clear();
  }
}

/** CryptoKey.algorithm as plain, structured-clonable data. */
function plain(alg: unknown): unknown {
  if (alg === null || typeof alg !== 'object') return alg;
  if (ArrayBuffer.isView(alg)) return new Uint8Array(alg.buffer, alg.byteOffset, alg.byteLength).slice();
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(alg)) out[k] = plain((alg as Record<string, unknown>)[k]);
  for (const k of ['name', 'namedCurve', 'length', 'hash', 'modulusLength', 'publicExponent']) if (k in alg && !(k in out)) out[k] = plain((alg as Record<string, unknown>)[k]);
  return out;
}
