/** fetch() from a function: a CLIENT span with HTTP client conventions, and W3C trace context + baggage injected into the request. */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'node:test';
import { one, traced } from './helpers.js';

const SOURCE = `
import { trace, context, propagation } from '@opentelemetry/api';
const tracer = trace.getTracer('caller');
export default {
  async fetch(req) {
    const target = new URL(req.url).searchParams.get('target');
    const bag = propagation.getBaggage(context.active());
    return tracer.startActiveSpan('call-downstream', async (span) => {
      // The author's own traceparent is replaced by the CLIENT span's, never duplicated.
      const r = await fetch(target, { headers: { traceparent: '00-00000000000000000000000000000001-0000000000000001-01', 'x-user': bag?.getEntry('user')?.value ?? '' } });
      const text = await r.text();
      let failed = '';
      try { await fetch('http://127.0.0.1:1/refused'); } catch (e) { failed = e.name; }
      span.end();
      return new Response(text + '|' + failed);
    });
  },
};`;

test('fetch records a CLIENT span and injects traceparent, tracestate and baggage', async (t) => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => { seen.push(req.headers); res.writeHead(201).end('downstream'); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const h = await traced(SOURCE, { egressAllow: ['127.0.0.1'] });
  t.after(() => h.close());
  const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const { body, span: inv } = await h.invoke({
    url: `http://127.0.0.1:8787/x/?target=${encodeURIComponent(`http://127.0.0.1:${port}/downstream?q=1`)}`,
    headers: [['traceparent', incoming], ['tracestate', 'vendor=abc'], ['baggage', 'user=alice,tier=gold;ttl=5']],
  });
  assert.match(body, /^downstream\|TypeError$/);
  const { spans } = await h.collect();
  assert.equal(inv.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736', 'the invocation continues the incoming trace');
  const clients = spans.filter((s) => s.kind === 2);
  assert.equal(clients.length, 2);
  const ok = clients.find((s) => s.attributes['http.response.status_code'] === 201)!;
  const refused = clients.find((s) => s !== ok)!;
  const call = one(spans, 'call-downstream');
  assert.equal(ok.name, 'GET');
  assert.equal(ok.parentSpanContext?.spanId, call.spanContext().spanId);
  assert.equal(ok.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(ok.attributes['http.request.method'], 'GET');
  assert.equal(ok.attributes['url.full'], `http://127.0.0.1:${port}/downstream?q=1`);
  assert.equal(ok.attributes['server.address'], '127.0.0.1');
  assert.equal(ok.attributes['server.port'], port);
  assert.equal(ok.instrumentationScope.name, 'isotel.fetch');
  assert.equal(refused.status.code, 2, 'a failed fetch is an ERROR span');
  assert.equal(refused.attributes['error.type'], 'TypeError');
  assert.equal(refused.events[0]?.name, 'exception');
  // What the downstream server received.
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.traceparent, `00-4bf92f3577b34da6a3ce929d0e0e4736-${ok.spanContext().spanId}-01`);
  assert.equal(seen[0]!.tracestate, 'vendor=abc');
  assert.equal(seen[0]!['x-user'], 'alice', 'incoming baggage is visible to the function');
  assert.match(String(seen[0]!.baggage), /user=alice/);
  assert.match(String(seen[0]!.baggage), /tier=gold;ttl=5/);
});
