// URL routing with URLPattern and URLSearchParams: a small JSON API.
// Try it:
//   curl http://127.0.0.1:8787/router/users/42
//   curl 'http://127.0.0.1:8787/router/search?q=isolate&limit=2'
//   curl -X POST http://127.0.0.1:8787/router/users -d '{"name":"ada"}'
const users = new Map([['42', { id: '42', name: 'Grace' }]]);
const words = ['isolate', 'isolation', 'isotel', 'iso', 'span', 'trace'];

const routes = [
  { method: 'GET', pattern: new URLPattern({ pathname: '/router/users/:id(\\d+)' }), handle: (m) => {
    const user = users.get(m.pathname.groups.id);
    return user ? Response.json(user) : Response.json({ error: 'no such user' }, { status: 404 });
  } },
  { method: 'POST', pattern: new URLPattern({ pathname: '/router/users' }), handle: async (_m, request) => {
    let body;
    try { body = await request.json(); } catch { return Response.json({ error: 'the body must be JSON' }, { status: 400 }); }
    if (typeof body?.name !== 'string' || body.name === '') return Response.json({ error: '"name" must be a non-empty string' }, { status: 400 });
    const id = String(users.size + 100);
    users.set(id, { id, name: body.name });
    return Response.json(users.get(id), { status: 201, headers: { location: new URL(`/router/users/${id}`, request.url).href } });
  } },
  { method: 'GET', pattern: new URLPattern({ pathname: '/router/search' }), handle: (_m, request) => {
    const params = new URL(request.url).searchParams;
    const q = params.get('q') ?? '';
    const limit = Math.min(Number(params.get('limit') ?? 10) || 10, 50);
    return Response.json({ q, results: words.filter((w) => w.startsWith(q)).slice(0, limit) });
  } },
];

export default {
  async fetch(request) {
    const allowed = [];
    for (const route of routes) {
      const match = route.pattern.exec(request.url);
      if (!match) continue;
      if (route.method !== request.method) { allowed.push(route.method); continue; }
      return route.handle(match, request);
    }
    if (allowed.length) return new Response(null, { status: 405, headers: { allow: allowed.join(', ') } });
    return Response.json({ error: 'not found', routes: ['GET /router/users/:id', 'POST /router/users', 'GET /router/search?q='] }, { status: 404 });
  },
};
