/** The built runtime (dist/runtime/runtime.js + its V8 code cache), read once per process. */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { IsotelError } from '../../common/errors.js';

// dist/host/isolate/runtime-bundle.js → dist/runtime/
const dir = fileURLToPath(new URL('../../runtime/', import.meta.url));
let loaded: { code: string; cache: Buffer | undefined; bytes: number } | undefined;

export function loadRuntime(): { code: string; cache: Buffer | undefined; bytes: number } {
  if (loaded) return loaded;
  const js = `${dir}runtime.js`;
  if (!existsSync(js)) throw new IsotelError('ISOTEL_ERR_RUNTIME_NOT_BUILT', `the isolate runtime is not built: ${js} is missing`);
  const code = readFileSync(js, 'utf8');
  const cacheFile = `${dir}runtime.cache`;
  loaded = { code, cache: existsSync(cacheFile) ? readFileSync(cacheFile) : undefined, bytes: Buffer.byteLength(code) };
  return loaded;
}
