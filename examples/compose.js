// Calling another function: a fetch to the host's own gateway URL (served inside the
// host, no network round trip), in parallel, with a timeout, combined into one reply.
// Try it: curl 'http://127.0.0.1:8787/compose/?name=SRE'
export default {
  async fetch(request) {
    const name = new URL(request.url).searchParams.get('name') ?? 'world';
    const gateway = new URL(request.url).origin;
    const signal = AbortSignal.timeout(2000);
    const [hello, search] = await Promise.allSettled([
      fetch(`${gateway}/hello/?name=${encodeURIComponent(name)}`, { signal }).then((r) => r.text()),
      fetch(`${gateway}/router/search?q=iso&limit=3`, { signal }).then((r) => r.json()),
    ]);
    return Response.json({
      hello: hello.status === 'fulfilled' ? hello.value.trim() : `failed: ${hello.reason}`,
      search: search.status === 'fulfilled' ? search.value.results : `failed: ${search.reason}`,
    });
  },
};
