/**
 * The admin API under /_isotel/: deploy, list, get, delete and roll back
 * functions. Every route needs the bearer token; without it: 401 and nothing
 * changes.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { IsotelError } from '../../common/errors.js';
import type { Deployer } from '../registry/deployer.js';
import { validateEgress, validateEnv, validateLimits } from '../registry/limits.js';
import type { FunctionRegistry } from '../registry/registry.js';
import type { FunctionLimits } from '../worker/protocol.js';
import { checkBearer } from './token.js';
import type { WorkerProcess } from './worker-process.js';

export interface AdminOptions {
  readonly registry: FunctionRegistry;
  readonly deployer: Deployer;
  readonly token: string;
  readonly defaults: FunctionLimits;
  readonly publicUrl: () => string;
  readonly workers: readonly WorkerProcess[];
}

function fail(reply: FastifyReply, e: IsotelError): FastifyReply {
  return reply.code(e.status).type('application/json; charset=utf-8').send(JSON.stringify(e.toJSON()));
}

export function adminRoutes(options: AdminOptions) {
  return async (app: FastifyInstance): Promise<void> => {
    app.addHook('onRequest', async (req, reply) => {
      if (!checkBearer(req.headers.authorization, options.token)) {
        return fail(reply, new IsotelError('ISOTEL_ERR_ADMIN_UNAUTHORIZED', req.headers.authorization ? 'the bearer token is not valid' : 'missing Authorization: Bearer <token>'));
      }
    });
    app.setErrorHandler((error, _req, reply) => {
      if (error instanceof IsotelError) return fail(reply, error);
      const e = error as { statusCode?: number; message?: string };
      if (e.statusCode && e.statusCode < 500) return fail(reply, new IsotelError('ISOTEL_ERR_DEPLOY_BAD_REQUEST', e.message ?? 'bad request'));
      return fail(reply, new IsotelError('ISOTEL_ERR_INTERNAL', e.message ?? String(error)));
    });

    const describe = (name: string) => {
      const fv = options.registry.get(name);
      return fv && { name, version: fv.version, filename: fv.filename, deployedAt: fv.deployedAt, limits: fv.limits, env: Object.keys(fv.env), egress: fv.egress ?? { allow: [] }, url: `${options.publicUrl()}/${name}/` };
    };

    app.get('/stats', async () => {
      const workers = await Promise.all(options.workers.map(async (w) => ({ index: w.index, ...(await w.stats()) })));
      const sum = (k: 'instances' | 'rssBytes' | 'poolSize' | 'evictions' | 'scaledToZero' | 'poolMisses' | 'syncInvocations' | 'compactions'): number => workers.reduce((a, w) => a + ((w as Record<string, unknown>)[k] as number | undefined ?? 0), 0);
      return {
        functions: options.registry.list().length,
        instances: sum('instances'),
        poolSize: sum('poolSize'),
        poolMisses: sum('poolMisses'),
        evictions: sum('evictions'),
        scaledToZero: sum('scaledToZero'),
        syncInvocations: sum('syncInvocations'),
        compactions: sum('compactions'),
        rssBytes: sum('rssBytes') + process.memoryUsage.rss(),
        gatewayRssBytes: process.memoryUsage.rss(),
        workers,
      };
    });

    app.get('/functions', async () => ({ functions: options.registry.list().map((fv) => describe(fv.name)) }));

    app.get<{ Params: { name: string } }>('/functions/:name', async (req) => {
      const current = describe(req.params.name);
      if (!current) throw new IsotelError('ISOTEL_ERR_FUNCTION_NOT_FOUND', `no function named ${JSON.stringify(req.params.name)} is deployed`);
      const history = await options.registry.history(req.params.name);
      const seen = new Set<string>();
      const versions = history
        .reverse()
        .filter((h) => !seen.has(h.version) && seen.add(h.version))
        .map((h) => ({ version: h.version, deployedAt: h.deployedAt, lastActivatedAt: h.activatedAt, current: h.version === current.version }));
      return { name: req.params.name, current, versions };
    });

    app.put<{ Params: { name: string }; Body: unknown }>('/functions/:name', { bodyLimit: 32 * 1024 * 1024 }, async (req, reply) => {
      const body = req.body as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object') throw new IsotelError('ISOTEL_ERR_DEPLOY_BAD_REQUEST', 'the body must be JSON: {"source": "<ES module>", ...}');
      for (const key of Object.keys(body)) if (!['source', 'filename', 'limits', 'env', 'egress'].includes(key)) throw new IsotelError('ISOTEL_ERR_DEPLOY_BAD_REQUEST', `unknown field "${key}"; known: source, filename, limits, env, egress`);
      if (typeof body.source !== 'string' || body.source.length === 0) throw new IsotelError('ISOTEL_ERR_DEPLOY_BAD_REQUEST', '"source" must be a non-empty string holding the ES module');
      if (body.filename !== undefined && (typeof body.filename !== 'string' || !/^[\w.-]{1,128}$/.test(body.filename))) throw new IsotelError('ISOTEL_ERR_DEPLOY_BAD_REQUEST', '"filename" must be a plain file name like "hello.ts"');
      const limits = validateLimits(body.limits, options.defaults);
      const env = validateEnv(body.env);
      const egress = validateEgress(body.egress);
      const r = await options.deployer.deploy({ name: req.params.name, source: body.source, filename: (body.filename as string | undefined) ?? `${req.params.name}.js`, limits, env, egress });
      return reply.code(r.changed ? 201 : 200).send({ ...r, url: `${options.publicUrl()}/${r.name}/` });
    });

    app.post<{ Params: { name: string }; Body: unknown }>('/functions/:name/rollback', async (req) => {
      const body = (req.body ?? {}) as { version?: unknown };
      if (body.version !== undefined && typeof body.version !== 'string') throw new IsotelError('ISOTEL_ERR_DEPLOY_BAD_REQUEST', '"version" must be a string');
      return options.deployer.rollback(req.params.name, body.version as string | undefined);
    });

    app.delete<{ Params: { name: string } }>('/functions/:name', async (req) => {
      if (!(await options.deployer.remove(req.params.name))) throw new IsotelError('ISOTEL_ERR_FUNCTION_NOT_FOUND', `no function named ${JSON.stringify(req.params.name)} is deployed`);
      return { name: req.params.name, deleted: true };
    });
  };
}
