#!/usr/bin/env node
// The `isotel` command. Commands that create V8 isolates in this process need
// node's --no-node-snapshot (isolated-vm's requirement on Node >= 20): re-run
// ourselves with it when it is missing.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'dist/cli/main.js');
if (!existsSync(main)) {
  process.stderr.write(`isotel: ${main} is missing: run \`npm run build\` (npm start and npm test build first)\n`);
  process.exit(1);
}
const needsIsolates = new Set(['run', 'worker']);
if (needsIsolates.has(process.argv[2] ?? '') && !process.execArgv.includes('--no-node-snapshot')) {
  const child = spawn(process.execPath, ['--no-node-snapshot', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)));
} else {
  const { main: run } = await import(pathToFileURL(main).href);
  await run(process.argv.slice(2));
}
