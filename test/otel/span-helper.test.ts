/** `isotel:otel`'s span(): ends the span when the callback settles, records a throw or rejection as ERROR. */
import assert from 'node:assert/strict';
import test from 'node:test';
import { one, traced } from './helpers.js';

const SOURCE = `
import { trace } from '@opentelemetry/api';
import { span } from 'isotel:otel';
const tracer = trace.getTracer('helpers');
export default {
  async fetch() {
    const a = span(tracer, 'sync', (s) => { s.setAttribute('k', 1); return 2; });
    const b = await span(tracer, 'async', { attributes: { phase: 'load' } }, async () => { await new Promise((r) => setTimeout(r, 1)); return 3; });
    let caught = '';
    try { await span(tracer, 'rejects', async () => { throw new RangeError('bad input'); }); } catch (e) { caught = e.name; }
    try { span(tracer, 'throws', () => { throw new TypeError('sync boom'); }); } catch (e) { caught += ',' + e.name; }
    let misuse = '';
    try { span('not a tracer', 'x', () => 1); } catch (e) { misuse = e.message; }
    return Response.json({ a, b, caught, misuse });
  },
};`;

test('span() ends spans, records errors and passes results through', async (t) => {
  const h = await traced(SOURCE);
  t.after(() => h.close());
  const { body, span: inv } = await h.invoke();
  const out = JSON.parse(body) as { a: number; b: number; caught: string; misuse: string };
  assert.equal(out.a, 2);
  assert.equal(out.b, 3);
  assert.equal(out.caught, 'RangeError,TypeError');
  assert.match(out.misuse, /first argument must be a Tracer/);
  const { spans } = await h.collect();
  const sync = one(spans, 'sync');
  assert.equal(sync.attributes.k, 1);
  assert.equal(sync.status.code, 0);
  assert.equal(sync.parentSpanContext?.spanId, inv.spanContext().spanId);
  assert.equal(one(spans, 'async').attributes.phase, 'load');
  for (const [name, type] of [['rejects', 'RangeError'], ['throws', 'TypeError']] as const) {
    const s = one(spans, name);
    assert.equal(s.status.code, 2);
    assert.equal(s.events[0]?.name, 'exception');
    assert.equal(s.events[0]?.attributes?.['exception.type'], type);
  }
});
