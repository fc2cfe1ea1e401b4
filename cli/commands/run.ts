/**
 * `isotel run <script> [--module]`: one fresh isolate with the full runtime, the
 * file run as a classic script (or an ES module), console lines written to stdout
 * (debug/info) and stderr (warn/error) as they happen, then wait until no timer,
 * fetch or other host operation is pending. Exit code 1 on an uncaught error or an
 * unhandled rejection (unless a listener handled it), 0 otherwise.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { IsotelError } from '../../common/errors.js';
import { createIsotelSandbox } from '../../host/isolate/sandbox.js';

/** Memory limit of the `isotel run` isolate, MiB. */
const RUN_MEMORY_LIMIT_MB = 256;

export async function runCommand(file: string, opts: { module: boolean }): Promise<number> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (e) {
    const err = new IsotelError('ISOTEL_ERR_RUN_FILE', `cannot read ${file}: ${(e as Error).message}`);
    process.stderr.write(`isotel: ${err.message} [${err.code}]\n`);
    return 1;
  }
  let failed = false;
  // A reader that went away (`isotel run x.js | head`) is not an error of the script: stop writing to it.
  const closed = new Set<NodeJS.WriteStream>();
  for (const stream of [process.stdout, process.stderr]) stream.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') closed.add(stream); else throw e; });
  const write = (stream: NodeJS.WriteStream, line: string) => { if (!closed.has(stream)) stream.write(line); };
  const sandbox = await createIsotelSandbox({
    memoryLimitMb: RUN_MEMORY_LIMIT_MB,
    onConsole: (r) => write(r.severityNumber >= 13 ? process.stderr : process.stdout, r.message + '\n'),
    onUncaught: () => { failed = true; },
    // `isotel run` is the author's own machine: local servers are reachable.
    egress: { allow: ['0.0.0.0/0', '::/0'], subrequestLimit: 1_000_000 },
  });
  try {
    const name = basename(file);
    if (opts.module) await sandbox.runModule(source, name);
    else await sandbox.runScript(source, name);
  } catch (e) {
    if (!(e instanceof IsotelError)) throw e;
    write(process.stderr, `${e.message}\n`);
    failed = true;
  } finally {
    sandbox.dispose();
  }
  return failed ? 1 : 0;
}
