// The baseline server of the gateway benchmark: a plain fastify hello world.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/hello/', async (_req, reply) => reply.type('text/plain; charset=utf-8').send('Hello, world!\n'));
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening ${app.server.address().port}\n`);
