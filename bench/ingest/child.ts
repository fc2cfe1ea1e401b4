/**
 * Child process of the ingest benchmark (the collector must not share an event loop
 * with the load generator). Modes:
 *   collector <dataDir>          start the embedded collector, report ports over IPC, close on 'close'
 *   ceiling <dataDir> <files…>   insert RowBinary files straight into a fresh engine, report rows/s
 */
import { resolveCollectorConfig } from '../../collector/config.js';
import { Engine } from '../../collector/clickhouse/engine.js';
import { startCollector } from '../../collector/index.js';
import { createLogger } from '../../common/log.js';

const [mode, dataDir, ...files] = process.argv.slice(2);
const send = (m: unknown) => process.send?.(m);

if (mode === 'collector') {
  const config = resolveCollectorConfig({
    env: { ...process.env, ISOTEL_DATA_DIR: dataDir, ISOTEL_OTLP_HTTP_PORT: '0', ISOTEL_OTLP_GRPC_PORT: '0', ISOTEL_VIEWER_PORT: '0', ISOTEL_LOG_LEVEL: 'warn' },
  });
  const c = await startCollector({ config });
  send({ t: 'ready', ports: c.ports });
  process.on('message', (m: { t: string }) => {
    if (m.t === 'close') void c.close().then(() => process.exit(0));
  });
} else if (mode === 'ceiling') {
  const engine = await Engine.open({ dataDir: dataDir!, clickhouseUrl: '', clickhouseUser: 'default', clickhousePassword: '', clickhouseDatabase: 'default', ttlDays: 0, indexOnInsert: process.env.ISOTEL_COLLECTOR_INDEX_ON_INSERT === 'true' }, createLogger('bench', 'warn'));
  await engine.migrate(0);
  const rows = Number(process.env.BENCH_ROWS_PER_FILE);
  const started = performance.now();
  let n = 0;
  // The same batch size the collector uses: files of one insert, rows/s over all of them.
  const perInsert = Math.max(1, Math.floor(Number(process.env.BENCH_BATCH_ROWS) / rows));
  for (let i = 0; i < files.length; i += perInsert) {
    const batch = files.slice(i, i + perInsert);
    await engine.insertSegments('otel_traces', batch, `ceiling-${i}`);
    n += batch.length * rows;
  }
  const seconds = (performance.now() - started) / 1000;
  send({ t: 'ceiling', rows: n, seconds });
  await engine.close();
  process.exit(0);
}
