/** Errors point at the author's lines: source maps from the compiled script back to the TypeScript that was deployed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IsotelError } from '../../common/errors.js';
import { compileFunctionSource } from '../../host/registry/transpile.js';
import { SourceMapper } from '../../host/registry/sourcemap.js';

const TS = `interface Order { id: string }

function check(order: Order): void {
  if (!order.id) {
    throw new Error('order without id');
  }
}

export default {
  fetch(): Response {
    check({ id: '' });
    return new Response('ok');
  },
};
`;

test('a TypeScript function compiles to a code-cacheable script with a source map', async () => {
  const compiled = await compileFunctionSource(TS, 'orders.ts');
  assert.equal(compiled.format, 'script');
  assert.match(compiled.code, /^\(function \(require\) \{ "use strict"; return /);
  assert.ok(compiled.sourceMap);
  // Find where the throw landed in the compiled code and map it back.
  const lines = compiled.code.split('\n');
  const line = lines.findIndex((l) => l.includes("throw new Error('order without id')") || l.includes('throw new Error("order without id")')) + 1;
  assert.ok(line > 0);
  const column = lines[line - 1]!.indexOf('throw') + 1;
  const mapper = new SourceMapper('orders.ts', compiled.sourceMap);
  assert.deepEqual(mapper.position(line, column), { file: 'orders.ts', line: 5, column: 5 });
  const stack = `Error: order without id\n    at check (orders.ts:${line}:${column})`;
  assert.equal(mapper.text(stack), 'Error: order without id\n    at check (orders.ts:5:5)');
  const e = mapper.error(new IsotelError('ISOTEL_ERR_HANDLER_THREW', 'order without id', { details: { file: 'orders.ts', line, column, stack } }));
  assert.equal(e.details?.line, 5);
  assert.match(String(e.details?.stack), /orders\.ts:5:5/);
});

test('top-level await keeps the module form; syntax errors name the line', async () => {
  const tla = await compileFunctionSource('const config = await Promise.resolve(1);\nexport default { fetch() { return new Response(String(config)); } };', 'tla.js');
  assert.equal(tla.format, 'module');
  await assert.rejects(compileFunctionSource('export default {\n  fetch() {\n    return new Response("x" ;\n  },\n};', 'bad.ts'), (e: unknown) => e instanceof IsotelError && e.code === 'ISOTEL_ERR_DEPLOY_COMPILE' && e.details?.line === 3 && /^bad\.ts:3:/.test(e.message));
});
