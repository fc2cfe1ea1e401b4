/**
 * The `isotel` command line. Each command resolves its configuration once
 * (flags over environment over defaults) and reports bad input as a one-line
 * error naming what was wrong.
 */
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkUnknownEnv, resolveConfig, toEnv } from '../common/config.js';
import { IsotelError } from '../common/errors.js';
import { createLogger, type LogLevel } from '../common/log.js';
import { commonSchema } from '../common/settings.js';
import { hostSchema } from '../host/config.js';
import { collectorSchema } from '../collector/config.js';
import '../collector/alerts/config.js'; // registers the ISOTEL_ALERT_* settings (the collector child reads them)

const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string };

function logger(area: string) {
  return createLogger(area, (process.env.ISOTEL_LOG_LEVEL as LogLevel | undefined) ?? 'info');
}

function commonOverrides(o: Record<string, unknown>): Record<string, unknown> {
  return { dataDir: o.dataDir, gatewayPort: o.port, otlpHttpPort: o.otlpHttpPort, otlpGrpcPort: o.otlpGrpcPort, viewerPort: o.viewerPort, bind: o.bind };
}

function withCommonOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data-dir <dir>', 'data directory').env('ISOTEL_DATA_DIR'))
    .option('--bind <address>', 'address to bind (default 127.0.0.1)')
    .option('--port <port>', 'gateway port (default 8787)')
    .option('--otlp-http-port <port>', 'collector OTLP/HTTP port (default 4318)')
    .option('--otlp-grpc-port <port>', 'collector OTLP/gRPC port (default 4317)')
    .option('--viewer-port <port>', 'viewer and query API port (default 8788)');
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command('isotel')
    .description('Observability-first density host for serverless functions')
    .version(pkg.version)
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) });

  withCommonOptions(program.command('up').description('run the host and the embedded collector, deploying examples/ (npm start)'))
    .option('--examples <dir>', 'directory of functions to deploy at start', 'examples')
    .option('--workers <n>', 'isolate worker processes')
    .action(async (o: Record<string, unknown>) => {
      const { upCommand } = await import('./commands/up.js');
      const common = resolveConfig(commonSchema, { overrides: commonOverrides(o) as never });
      const host = resolveConfig(hostSchema, { overrides: { deployDir: resolve(String(o.examples)), workers: o.workers } as never });
      const collector = resolveConfig(collectorSchema);
      const up = await upCommand({ common, host, collectorEnv: toEnv(collectorSchema, collector), log: logger('up') });
      const onSignal = (): void => void up.stop();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      await up.stopped;
    });

  withCommonOptions(program.command('host').description('run the host alone: the gateway and its isolate worker processes'))
    .option('--deploy <dir>', 'deploy every function in this directory at start')
    .option('--workers <n>', 'isolate worker processes')
    .action(async (o: Record<string, unknown>) => {
      const { runHostProcess } = await import('../host/main.js');
      await runHostProcess(logger('host'), { common: commonOverrides(o), host: { deployDir: o.deploy ? resolve(String(o.deploy)) : undefined, workers: o.workers } });
    });

  withCommonOptions(program.command('collector').description('run the embedded collector alone: OTLP receivers, ClickHouse writer, viewer and query API')).action(async (o: Record<string, unknown>) => {
    const { collectorCommand } = await import('./commands/collector.js');
    await collectorCommand(logger('collector'), commonOverrides(o));
  });

  withCommonOptions(program.command('query').description('run a read-only SQL query against the configured ClickHouse').argument('<sql>', 'the query'))
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (sql: string, o: Record<string, unknown>) => {
      const { queryCommand } = await import('./commands/query.js');
      process.exitCode = await queryCommand(sql, { format: o.format as 'table' | 'json', overrides: commonOverrides(o) });
    });

  program
    .command('deploy')
    .description('deploy a function file, or every function in a directory, to a running host')
    .argument('<path>', 'a .js/.ts module, or a directory of them')
    .option('--name <name>', 'function name (default: the file name)')
    .addOption(new Option('--host <url>', 'host gateway URL').env('ISOTEL_HOST').default('http://127.0.0.1:8787'))
    .addOption(new Option('--token <token>', 'admin token (default: <data-dir>/admin-token)').env('ISOTEL_ADMIN_TOKEN'))
    .addOption(new Option('--data-dir <dir>', 'data directory holding admin-token').env('ISOTEL_DATA_DIR').default('.isotel'))
    .option('--limit <key=value...>', 'a limit, e.g. --limit memoryLimitMb=64 --limit wallMs=5000')
    .option('--env <KEY=value...>', 'an env binding for the function')
    .option('--allow <destination...>', 'open outbound fetch() to a host, *.suffix, IP or CIDR range the default egress policy denies')
    .option('--subrequest-limit <n>', 'most fetch() calls per invocation (default 50)')
    .option('--json', 'print results as JSON')
    .action(async (path: string, o: { name?: string; host: string; token?: string; dataDir: string; limit?: string[]; env?: string[]; allow?: string[]; subrequestLimit?: string; json?: boolean }) => {
      const { deployCommand } = await import('./commands/deploy.js');
      const pairs = (list: string[] | undefined, what: string): Record<string, string> | undefined => {
        if (!list) return undefined;
        const out: Record<string, string> = {};
        for (const item of list) {
          const eq = item.indexOf('=');
          if (eq <= 0) throw new IsotelError('ISOTEL_ERR_CONFIG_INVALID', `${what} ${JSON.stringify(item)} is not KEY=value`);
          out[item.slice(0, eq)] = item.slice(eq + 1);
        }
        return out;
      };
      const limitStrings = pairs(o.limit, '--limit');
      const limits = limitStrings && Object.fromEntries(Object.entries(limitStrings).map(([k, v]) => [k, Number(v)]));
      const env = pairs(o.env, '--env');
      const egress = o.allow || o.subrequestLimit ? { allow: o.allow ?? [], ...(o.subrequestLimit ? { subrequestLimit: Number(o.subrequestLimit) } : {}) } : undefined;
      process.exitCode = await deployCommand(resolve(path), { host: o.host, token: o.token ?? '', dataDir: resolve(o.dataDir), json: o.json === true, ...(o.name ? { name: o.name } : {}), ...(limits ? { limits } : {}), ...(env ? { env } : {}), ...(egress ? { egress } : {}) });
    });

  program
    .command('tail')
    .description('live stream of invocations and log lines, like `wrangler tail` (Ctrl-C to stop)')
    .argument('[function]', 'only this function')
    .addOption(new Option('--viewer-port <port>', 'collector viewer / query API port').env('ISOTEL_VIEWER_PORT').default('8788'))
    .option('--bind <address>', 'collector address', '127.0.0.1')
    .option('--json', 'one JSON object per line')
    .action(async (fn: string | undefined, o: { viewerPort: string; bind: string; json?: boolean }) => {
      const { tailCommand } = await import('./commands/tail.js');
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      process.once('SIGTERM', () => abort.abort());
      await tailCommand(fn, { viewerUrl: `http://${o.bind}:${o.viewerPort}`, json: o.json === true, signal: abort.signal });
    });

  program
    .command('check')
    .description('CI gates')
    .command('coldstart')
    .description('compare cold starts of two versions of a function; exit 1 on a regression, 2 when it cannot decide')
    .requiredOption('--function <name>', 'the function')
    .option('--baseline <version>', 'baseline version (default: the most recently seen other version)')
    .option('--candidate <version>', 'candidate version (default: the most recently seen version)')
    .option('--min-samples <n>', 'cold starts needed per version (default: the alert rule\'s)')
    .addOption(new Option('--viewer-port <port>', 'collector viewer / query API port').env('ISOTEL_VIEWER_PORT').default('8788'))
    .option('--bind <address>', 'collector address', '127.0.0.1')
    .option('--json', 'print the evidence as JSON')
    .action(async (o: { function: string; baseline?: string; candidate?: string; minSamples?: string; viewerPort: string; bind: string; json?: boolean }) => {
      const { checkColdstartCommand } = await import('./commands/check.js');
      process.exitCode = await checkColdstartCommand({ fn: o.function, baseline: o.baseline, candidate: o.candidate, viewerUrl: `http://${o.bind}:${o.viewerPort}`, json: o.json === true, ...(o.minSamples ? { minSamples: Number(o.minSamples) } : {}) });
    });

  program
    .command('run')
    .description('run a script in a fresh isolate with the full runtime; console to stdout/stderr')
    .argument('<script>', 'a classic script (or an ES module with --module)')
    .option('--module', 'treat the file as an ES module')
    .action(async (file: string, o: { module?: boolean }) => {
      const { runCommand } = await import('./commands/run.js');
      process.exitCode = await runCommand(resolve(file), { module: o.module === true });
    });

  try {
    checkUnknownEnv(process.env, ['ISOTEL_WORKER_INDEX', 'ISOTEL_TEST_CONCURRENCY', 'ISOTEL_BUILD_QUIET', 'ISOTEL_HOST']);
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof IsotelError) {
      process.stderr.write(`isotel: ${e.message} [${e.code}]\n`);
      process.exitCode = 2;
      if (process.send) process.send({ t: 'fatal', error: e.toJSON().error });
      return;
    }
    throw e;
  }
}
