/**
 * Host settings: worker processes, isolate pool and the defaults every function
 * gets unless its deploy says otherwise.
 */
import { defineSchema, parse, setting } from '../common/config.js';

export const hostSchema = defineSchema('host', {
  workers: setting('ISOTEL_WORKERS', 1, 'Isolate worker processes; functions are sharded across them by name, so a crash of one leaves the others serving.', parse.int(1, 64)),
  poolSize: setting('ISOTEL_POOL_SIZE', 4, 'Pre-initialised isolates kept ready per worker, refilled in the background.', parse.int(0, 1024)),
  memoryLimitMb: setting('ISOTEL_FUNCTION_MEMORY_MB', 128, 'Default isolate heap limit per function instance, MiB.', parse.int(8, 4096)),
  cpuMs: setting('ISOTEL_FUNCTION_CPU_MS', 30_000, 'Default CPU time per invocation, ms.', parse.int(1, 600_000)),
  syncMaxCpuMs: setting('ISOTEL_SYNC_DISPATCH_MAX_CPU_MS', 50, 'Functions whose CPU limit is at most this many ms cold-start and run on their worker\'s thread (no thread-pool hop: faster, but a busy invocation holds the worker for up to its CPU limit). 0: always on the isolate thread pool.', parse.int(0, 1000)),
  wallMs: setting('ISOTEL_FUNCTION_WALL_MS', 60_000, 'Default wall time per invocation (awaiting included), ms.', parse.int(1, 3_600_000)),
  maxRequestBytes: setting('ISOTEL_FUNCTION_MAX_REQUEST_BYTES', 100 * 1024 * 1024, 'Default request body limit, bytes.', parse.int(0, 2 ** 40)),
  maxResponseBytes: setting('ISOTEL_FUNCTION_MAX_RESPONSE_BYTES', 100 * 1024 * 1024, 'Default response body limit, bytes.', parse.int(0, 2 ** 40)),
  concurrency: setting('ISOTEL_FUNCTION_CONCURRENCY', 64, 'Default concurrent invocations per instance (an isolate runs one at a time; the rest await I/O).', parse.int(1, 10_000)),
  maxInstances: setting('ISOTEL_FUNCTION_MAX_INSTANCES', 4, 'Default most instances of one function per worker process.', parse.int(1, 1000)),
  idleMs: setting('ISOTEL_INSTANCE_IDLE_MS', 300_000, 'An instance idle this long is disposed (scale to zero), ms.', parse.int(10, 86_400_000)),
  memoryBudgetMb: setting('ISOTEL_MEMORY_BUDGET_MB', 16_384, 'Isolate heap budget of the host, MiB, split across workers; past it the least recently used idle instances are evicted.', parse.int(16, 1_048_576)),
  adminToken: setting('ISOTEL_ADMIN_TOKEN', '', 'Admin API bearer token. Empty: read <dataDir>/admin-token, creating it (mode 0600) on first start.', parse.string),
  otlpEndpoint: setting('ISOTEL_OTLP_ENDPOINT', '', 'OTLP/HTTP base URL the host exports telemetry to. Empty: the local collector (http://<bind>:<otlp-http-port>).', parse.optionalUrl),
  telemetry: setting('ISOTEL_TELEMETRY', true, 'Export the host\'s spans, logs and metrics. false: no telemetry work at all.', parse.bool),
  deployDir: setting('ISOTEL_DEPLOY_DIR', '', 'Deploy every function in this directory when the host starts (isotel up uses examples/).', parse.string),
  publicUrl: setting('ISOTEL_PUBLIC_URL', '', 'Base URL functions are reached at, as shown to users. Empty: http://<bind>:<gateway-port>.', parse.optionalUrl),
});
