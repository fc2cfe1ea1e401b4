#!/usr/bin/env node
// Benchmark runner: `npm run bench -- <name> [--json] [options]`.
// Runs dist/bench/<name>.js's default export, which measures its scenario and a
// baseline in the same run and returns the figures. Human-readable lines go to
// stderr as it runs; with --json the last stdout line is one JSON object.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...rest] = process.argv.slice(2);
const json = rest.includes('--json');
const available = existsSync(join(root, 'dist/bench')) ? readdirSync(join(root, 'dist/bench')).filter((f) => f.endsWith('.js') && !f.startsWith('_')).map((f) => f.slice(0, -3)) : [];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name> [--json]\navailable: ${available.join(', ') || '(none built)'}`);
  process.exit(name ? 1 : 0);
}
const mod = await import(pathToFileURL(join(root, 'dist/bench', `${name}.js`)).href);
const figures = await mod.default({ json, args: rest.filter((a) => a !== '--json') });
if (json) process.stdout.write(JSON.stringify({ bench: name, ...figures }) + '\n');
else for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(40)} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
process.exit(0);
