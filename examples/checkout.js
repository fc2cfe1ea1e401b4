// Tracing, logs and metrics from a function author's point of view: the standard
// OpenTelemetry API, nothing to set up. Spans land under the invocation span,
// console lines become log records with the active span's ids, metrics are
// exported with this function's identity.
//
// Try it:  curl 'http://127.0.0.1:8787/checkout/?sku=tea&qty=2'
// Then:    isotel query "SELECT ServiceName, SpanName, SpanKind FROM otel_traces ORDER BY Timestamp DESC LIMIT 10"
import { trace, metrics, context, propagation, SpanStatusCode } from '@opentelemetry/api';

const tracer = trace.getTracer('checkout', '1.0.0');
const meter = metrics.getMeter('checkout', '1.0.0');
const orders = meter.createCounter('checkout.orders', { unit: '{order}', description: 'Orders priced, by outcome' });
const cartValue = meter.createHistogram('checkout.cart_value', { unit: 'EUR', advice: { explicitBucketBoundaries: [5, 10, 25, 50, 100, 250] } });

const PRICES = { tea: 4.5, coffee: 6, cake: 12.25 };

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const sku = url.searchParams.get('sku') ?? 'tea';
    const qty = Number(url.searchParams.get('qty') ?? '1');

    // Baggage travels with the trace to every function this one calls.
    const withBaggage = propagation.setBaggage(context.active(), propagation.createBaggage({ 'shop.channel': { value: 'web' } }));

    return context.with(withBaggage, () =>
      tracer.startActiveSpan('checkout.price-cart', { attributes: { 'shop.sku': sku, 'shop.quantity': qty } }, async (span) => {
        try {
          // Calling another function is a fetch to the host's own URL: a CLIENT span, and the trace continues in it.
          const stock = await fetch(`${url.origin}/inventory/?sku=${encodeURIComponent(sku)}`).then((r) => r.json());
          if (!(sku in PRICES)) throw new RangeError(`unknown sku ${sku}`);
          const total = PRICES[sku] * qty;
          span.setAttribute('shop.total', total);
          span.addEvent('priced', { 'shop.in_stock': stock.available >= qty });
          console.log(`priced ${qty} × ${sku} = ${total} EUR`);
          orders.add(1, { 'shop.outcome': 'priced' });
          cartValue.record(total, { 'shop.sku': sku });
          return Response.json({ sku, qty, total, available: stock.available });
        } catch (e) {
          span.recordException(e);
          span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
          console.error('pricing failed:', e.message);
          orders.add(1, { 'shop.outcome': 'failed' });
          return Response.json({ error: e.message }, { status: 400 });
        } finally {
          span.end();
        }
      }),
    );
  },
};
