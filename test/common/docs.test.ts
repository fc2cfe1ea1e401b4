/** The README's configuration reference and docs/errors.md are generated from the code: they must be current. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { configReference, errorReference, loadAllSchemas, withConfigReference } from '../../cli/reference.js';
import { ROOT } from '../helpers/processes.js';

test('README configuration reference lists every setting (run `npm run docs` when this fails)', async () => {
  await loadAllSchemas();
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.equal(readme, withConfigReference(readme, configReference()));
});

test('docs/errors.md lists every error code (run `npm run docs` when this fails)', () => {
  assert.equal(readFileSync(join(ROOT, 'docs/errors.md'), 'utf8'), errorReference());
});
