#!/usr/bin/env node
// Runs the test suite with node's test runner. Every test file runs in its own
// child process with --no-node-snapshot (isolated-vm needs it; worker threads
// cannot take the flag). Usage: node scripts/test.mjs [substring ...]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const testDir = join(root, 'dist/test');
const filters = process.argv.slice(2);

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const files = collect(testDir)
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files matched ${filters.join(' ')}`);
  process.exit(1);
}
const concurrency = process.env.ISOTEL_TEST_CONCURRENCY ?? '2';
const child = spawn(process.execPath, ['--no-node-snapshot', '--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', '--test-timeout=300000', ...files], {
  stdio: 'inherit',
  env: { ...process.env, ISOTEL_LOG_LEVEL: process.env.ISOTEL_LOG_LEVEL ?? 'warn' },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
