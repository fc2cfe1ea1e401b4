// The smallest isotel function: a Web-standard fetch handler.
// Try it: curl http://127.0.0.1:8787/hello/?name=SRE
export default {
  async fetch(request, env, ctx) {
    const name = new URL(request.url).searchParams.get('name') ?? 'world';
    return new Response(`Hello, ${name}!\n`, {
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  },
};
