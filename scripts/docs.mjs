#!/usr/bin/env node
// Regenerates the README configuration reference and docs/errors.md from the code.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ref = await import(join(root, 'dist/cli/reference.js'));
await ref.loadAllSchemas();
const readmePath = join(root, 'README.md');
writeFileSync(readmePath, ref.withConfigReference(readFileSync(readmePath, 'utf8'), ref.configReference()));
mkdirSync(join(root, 'docs'), { recursive: true });
writeFileSync(join(root, 'docs/errors.md'), ref.errorReference());
console.error('isotel: README configuration reference and docs/errors.md regenerated');
