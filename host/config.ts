/**
 * Host settings: worker processes, isolate pool and the defaults every function
 * gets unless its deploy says otherwise.
 */
import { defineSchema, parse, setting } from '../common/config.js';

export const hostSchema = defineSchema('host', {
  workers: setting('ISOTEL_WORKERS', 1, 'Isolate worker processes; functions are sharded across them by name, so a crash of one leaves the others serving.', parse.int(1, 64)),
  poolSize: setting('ISOTEL_POOL_SIZE', 4, 'Pre-initialised isolates kept ready per worker, refilled in the background.', parse.int(0, 1024)),
  memoryLimitMb: setting('ISOTEL_FUNCTION_MEMORY_MB', 128, 'Default isolate heap limit per function instance, MiB.', parse.int(8, 4096)),
  otlpEndpoint: setting('ISOTEL_OTLP_ENDPOINT', '', 'OTLP/HTTP base URL the host exports telemetry to. Empty: the local collector (http://<bind>:<otlp-http-port>).', parse.optionalUrl),
  telemetry: setting('ISOTEL_TELEMETRY', true, 'Export the host\'s spans, logs and metrics. false: no telemetry work at all.', parse.bool),
  deployDir: setting('ISOTEL_DEPLOY_DIR', '', 'Deploy every function in this directory when the host starts (isotel up uses examples/).', parse.string),
  publicUrl: setting('ISOTEL_PUBLIC_URL', '', 'Base URL functions are reached at, as shown to users. Empty: http://<bind>:<gateway-port>.', parse.optionalUrl),
});
