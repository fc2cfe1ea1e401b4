#!/usr/bin/env node
// Builds isotel into dist/:
//  1. host-side TypeScript (host/, collector/, cli/, common/, sdk/protocol, test/, bench/)
//     transpiled file by file to ESM; type checking is `npm run typecheck`.
//  2. the in-isolate runtime (sdk/runtime) bundled into one classic script whose
//     completion value is the runtime entry object (see sdk/protocol/entry.ts).
//  3. V8 code cache for that script, made in a real isolate so pooled isolates
//     compile the runtime from cache instead of parsing it (scripts/runtime-cache.mjs).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const finalDist = join(root, 'dist');
// Build into a fresh directory and swap it in at the end, so processes that are
// running from dist/ (tests, a running host) never see a half-written tree.
const dist = join(root, `dist.build-${process.pid}`);
const hostDirs = ['common', 'cli', 'host', 'collector', 'dashboards', 'sdk/protocol', 'sdk/types', 'test', 'bench'];

const started = Date.now();
rmSync(dist, { recursive: true, force: true });
process.on('exit', () => rmSync(dist, { recursive: true, force: true }));

await build({
  absWorkingDir: root,
  entryPoints: hostDirs.filter((d) => existsSync(join(root, d))).map((d) => `${d}/**/*.ts`),
  outdir: dist,
  outbase: root,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});

const runtimeEntry = join(root, 'sdk/runtime/index.ts');
if (existsSync(runtimeEntry)) {
  const globalName = '__isotel_runtime_entry';
  const result = await build({
    absWorkingDir: root,
    entryPoints: [runtimeEntry],
    bundle: true,
    write: false,
    format: 'iife',
    globalName,
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2022',
    minifySyntax: true,
    minifyWhitespace: true,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  let code = result.outputFiles[0].text;
  // `var __isotel_runtime_entry = (() => {...})();` → `(() => {...})();` so the
  // script's completion value is the entry object and no global is left behind.
  // A leading "use strict" directive (from bundled CommonJS) is kept: it does not change the completion value.
  const strict = '"use strict";';
  const directive = code.startsWith(strict) ? strict : '';
  const prefix = `var ${globalName}=`;
  if (!code.startsWith(prefix, directive.length)) throw new Error(`runtime bundle does not start with ${prefix}`);
  code = directive + code.slice(directive.length + prefix.length);
  mkdirSync(join(dist, 'runtime'), { recursive: true });
  writeFileSync(join(dist, 'runtime/runtime.js'), code);
  const cache = spawnSync(process.execPath, ['--no-node-snapshot', join(root, 'scripts/runtime-cache.mjs'), join(dist, 'runtime')], { stdio: 'inherit' });
  if (cache.status !== 0) throw new Error('making the runtime code cache failed');
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
writeFileSync(join(dist, 'build-info.json'), JSON.stringify({ version: pkg.version, builtAt: new Date().toISOString() }) + '\n');
const old = `${finalDist}.old-${process.pid}`;
if (existsSync(finalDist)) renameSync(finalDist, old);
renameSync(dist, finalDist);
rmSync(old, { recursive: true, force: true });
if (!process.env.ISOTEL_BUILD_QUIET) console.error(`isotel: built dist/ in ${Date.now() - started} ms`);
