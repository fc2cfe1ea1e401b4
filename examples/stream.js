// Streams end to end: a response produced chunk by chunk (pulled, so a slow client
// slows the producer), a request body transformed as it arrives, gzip on the fly.
// Try it:
//   curl -N http://127.0.0.1:8787/stream/count?to=5
//   curl --compressed -H 'accept-encoding: gzip' http://127.0.0.1:8787/stream/count?to=1000 | tail -1
//   curl -X POST --data-binary @/etc/services http://127.0.0.1:8787/stream/upper | head
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname.endsWith('/count')) {
      const to = Math.min(Number(url.searchParams.get('to') ?? 10) || 10, 100000);
      let i = 0;
      const encoder = new TextEncoder();
      let body = new ReadableStream({
        async pull(controller) {
          if (i >= to) { controller.close(); return; }
          i++;
          if (i % 1000 === 0) await new Promise((r) => setTimeout(r, 0)); // let timers and other requests run
          controller.enqueue(encoder.encode(JSON.stringify({ i, at: Date.now() }) + '\n'));
        },
      });
      const headers = { 'content-type': 'application/x-ndjson' };
      if ((request.headers.get('accept-encoding') ?? '').includes('gzip')) {
        body = body.pipeThrough(new CompressionStream('gzip'));
        headers['content-encoding'] = 'gzip';
      }
      return new Response(body, { headers });
    }
    if (url.pathname.endsWith('/upper') && request.method === 'POST' && request.body) {
      const upper = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.toUpperCase()); } });
      return new Response(request.body.pipeThrough(new TextDecoderStream()).pipeThrough(upper).pipeThrough(new TextEncoderStream()), {
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    }
    return new Response('GET /stream/count?to=N or POST /stream/upper\n', { status: 404 });
  },
};
