/**
 * `isotel deploy <file|dir> [--name <name>]`: bundles each function locally
 * (syntax errors reported with file and line before anything is sent) and deploys
 * it through the host's admin API. A directory deploys every function in it.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { IsotelError, errorFromJSON } from '../../common/errors.js';
import { tokenPath } from '../../host/gateway/token.js';
import { functionsInDirectory } from '../../host/registry/deployer.js';
import { bundleFunction } from '../../host/registry/transpile.js';

export interface DeployCommandOptions {
  readonly name?: string;
  readonly host: string;
  readonly token: string;
  readonly dataDir: string;
  readonly limits?: Record<string, number>;
  readonly env?: Record<string, string>;
  readonly egress?: { allow: string[]; subrequestLimit?: number };
  readonly json?: boolean;
}

async function adminToken(explicit: string, dataDir: string): Promise<string> {
  if (explicit) return explicit;
  try {
    return (await readFile(tokenPath(dataDir), 'utf8')).trim();
  } catch {
    throw new IsotelError('ISOTEL_ERR_ADMIN_UNAUTHORIZED', `no admin token: ${tokenPath(dataDir)} does not exist (start the host once, or pass --token / ISOTEL_ADMIN_TOKEN)`);
  }
}

export async function deployCommand(target: string, opts: DeployCommandOptions): Promise<number> {
  const isDir = await stat(target).then((s) => s.isDirectory(), () => {
    throw new IsotelError('ISOTEL_ERR_CONFIG_INVALID', `${target} does not exist`);
  });
  const items = isDir ? await functionsInDirectory(target) : [{ name: opts.name ?? basename(target, extname(target)), path: target }];
  if (isDir && opts.name) throw new IsotelError('ISOTEL_ERR_CONFIG_INVALID', '--name applies to a single file, not a directory');
  if (items.length === 0) throw new IsotelError('ISOTEL_ERR_CONFIG_INVALID', `no functions (*.js, *.ts, */index.js|ts) in ${target}`);
  const token = await adminToken(opts.token, opts.dataDir);
  let failed = 0;
  const results: unknown[] = [];
  for (const { name, path } of items) {
    try {
      const source = await bundleFunction(path);
      const res = await fetch(`${opts.host.replace(/\/$/, '')}/_isotel/functions/${encodeURIComponent(name)}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ source, filename: basename(path).replace(/\.(c|m)?tsx?$/, '.js'), ...(opts.limits ? { limits: opts.limits } : {}), ...(opts.env ? { env: opts.env } : {}), ...(opts.egress ? { egress: opts.egress } : {}) }),
      }).catch((e: unknown) => {
        throw new IsotelError('ISOTEL_ERR_WORKER_UNAVAILABLE', `cannot reach the host at ${opts.host}: ${(e as Error).message} (is it running? set --host or ISOTEL_HOST)`);
      });
      const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
      if (!res.ok) throw errorFromJSON(body);
      results.push(body);
      if (!opts.json) process.stdout.write(`${body.changed ? 'deployed' : 'unchanged'}  ${name}  version ${String(body.version)}  ${String(body.url)}\n`);
    } catch (e) {
      if (!(e instanceof IsotelError)) throw e;
      failed++;
      results.push({ name, error: e.toJSON().error });
      if (!opts.json) process.stderr.write(`failed    ${name}  ${e.message} [${e.code}]\n`);
    }
  }
  if (opts.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  return failed === 0 ? 0 : 1;
}
