// Produces V8 code cache for the runtime bundle. Runs under --no-node-snapshot
// (isolated-vm's requirement). Code cache is machine code for this exact V8 build,
// so it is made here at build time and never accepted from elsewhere.
import ivm from 'isolated-vm';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const code = readFileSync(join(dir, 'runtime.js'), 'utf8');
const isolate = new ivm.Isolate({ memoryLimit: 64 });
try {
  const script = await isolate.compileScript(code, { filename: 'isotel:runtime', produceCachedData: true });
  if (!script.cachedData) throw new Error('V8 produced no code cache for the runtime');
  const bytes = Buffer.from(script.cachedData.copy());
  writeFileSync(join(dir, 'runtime.cache'), bytes);
  writeFileSync(join(dir, 'runtime.meta.json'), JSON.stringify({ bytes: code.length, cacheBytes: bytes.length, v8: process.versions.v8 }) + '\n');
} finally {
  isolate.dispose();
}
