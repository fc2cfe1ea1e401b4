// Called by examples/checkout.js through the host's gateway URL. Its invocation span
// continues checkout's trace (traceparent injected by checkout's fetch), and the
// baggage checkout set is readable here.
import { trace, context, propagation } from '@opentelemetry/api';

const tracer = trace.getTracer('inventory');
const STOCK = { tea: 120, coffee: 40, cake: 3 };

export default {
  fetch(request) {
    const sku = new URL(request.url).searchParams.get('sku') ?? '';
    const channel = propagation.getBaggage(context.active())?.getEntry('shop.channel')?.value ?? 'unknown';
    const span = tracer.startSpan('inventory.lookup', { attributes: { 'shop.sku': sku, 'shop.channel': channel } });
    const available = STOCK[sku] ?? 0;
    span.setAttribute('shop.available', available);
    span.end();
    return Response.json({ sku, available });
  },
};
