/**
 * Settings shared by every isotel process: where data lives, which address and
 * ports to bind, which ClickHouse to use. Area-specific settings live beside their
 * area (host/config.ts, collector/config.ts) and use the same mechanism.
 */
import { defineSchema, parse, setting } from './config.js';

export const commonSchema = defineSchema('common', {
  dataDir: setting('ISOTEL_DATA_DIR', './.isotel', 'Data directory: deployed functions, embedded ClickHouse data, durable queue, admin token.', parse.path),
  bind: setting('ISOTEL_BIND', '127.0.0.1', 'Address every listener binds to.', parse.string),
  gatewayPort: setting('ISOTEL_GATEWAY_PORT', 8787, 'Host gateway port (function requests and the admin API).', parse.port),
  otlpHttpPort: setting('ISOTEL_OTLP_HTTP_PORT', 4318, 'Collector OTLP/HTTP port.', parse.port),
  otlpGrpcPort: setting('ISOTEL_OTLP_GRPC_PORT', 4317, 'Collector OTLP/gRPC port.', parse.port),
  viewerPort: setting('ISOTEL_VIEWER_PORT', 8788, 'Collector viewer and read-only query API port.', parse.port),
  clickhouseUrl: setting('ISOTEL_CLICKHOUSE_URL', '', 'ClickHouse server URL (http[s]://host:8123). Empty: the embedded engine under the data directory.', parse.optionalUrl),
  clickhouseUser: setting('ISOTEL_CLICKHOUSE_USER', 'default', 'ClickHouse user (server only).', parse.string),
  clickhousePassword: setting('ISOTEL_CLICKHOUSE_PASSWORD', '', 'ClickHouse password (server only).', parse.string),
  clickhouseDatabase: setting('ISOTEL_CLICKHOUSE_DATABASE', 'default', 'ClickHouse database holding the otel_* tables.', parse.string),
  logLevel: setting('ISOTEL_LOG_LEVEL', 'info', 'Log level of isotel processes: debug, info, warn, error, silent.', parse.oneOf('debug', 'info', 'warn', 'error', 'silent')),
});
