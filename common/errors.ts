/**
 * The one error registry. Every error isotel raises on purpose has a code here,
 * marked as the user's fault (bad input, bad function code: 4xx, never pages anyone)
 * or the system's (5xx, worth an alert). Errors crossing process or isolate
 * boundaries are classified by `code`, never by `instanceof` or message text.
 *
 * `docs/errors.md` lists every code; test/common/errors.test.ts keeps the two in step.
 */

export interface ErrorSpec {
  /** HTTP status when the error ends a request. */
  readonly status: number;
  /** true: caused by the caller's input or the function's code; false: isotel or its environment failed. */
  readonly userFault: boolean;
  /** What happened and how to fix it. */
  readonly hint: string;
}

export const ERRORS = {
  // configuration and start-up
  ISOTEL_ERR_CONFIG_INVALID: { status: 500, userFault: true, hint: 'A configuration value is invalid: fix the flag or environment variable named in the message.' },
  ISOTEL_ERR_CONFIG_UNKNOWN_KEY: { status: 500, userFault: true, hint: 'An unknown configuration key was given: check the spelling against the README configuration reference.' },
  ISOTEL_ERR_PORT_IN_USE: { status: 500, userFault: true, hint: 'Another process listens on this port: stop it, or choose another port with the flag or environment variable named in the message.' },
  ISOTEL_ERR_PROCESS_EXITED: { status: 500, userFault: false, hint: 'A supervised isotel process exited unexpectedly; its last log lines say why. The supervisor restarts it.' },

  // gateway and functions
  ISOTEL_ERR_FUNCTION_NOT_FOUND: { status: 404, userFault: true, hint: 'No function is deployed under this name: check the URL (/<function>/<path>) or deploy it first.' },
  ISOTEL_ERR_FUNCTION_INVALID_NAME: { status: 400, userFault: true, hint: 'Function names are 1–63 characters of lowercase letters, digits and "-", starting with a letter.' },
  ISOTEL_ERR_DEPLOY_COMPILE: { status: 400, userFault: true, hint: 'The function does not compile: fix the syntax error at the file and line given.' },
  ISOTEL_ERR_DEPLOY_EVALUATE: { status: 400, userFault: true, hint: 'The function\'s top level threw while being evaluated: fix the error at the location given.' },
  ISOTEL_ERR_DEPLOY_NO_HANDLER: { status: 400, userFault: true, hint: 'The module must `export default { fetch(request, env, ctx) { ... } }` (or register a fetch event listener).' },
  ISOTEL_ERR_HANDLER_THREW: { status: 500, userFault: true, hint: 'The function threw or rejected while handling the request; the invocation span holds the exception.' },
  ISOTEL_ERR_HANDLER_BAD_RESPONSE: { status: 500, userFault: true, hint: 'The fetch handler must return (or resolve to) a Response.' },
  ISOTEL_ERR_CLIENT_CLOSED: { status: 499, userFault: true, hint: 'The client closed the connection before the response was complete.' },
  ISOTEL_ERR_ADMIN_UNAUTHORIZED: { status: 401, userFault: true, hint: 'The admin API needs `Authorization: Bearer <token>`; the token is in <dataDir>/admin-token (isotel deploy reads it, or set ISOTEL_ADMIN_TOKEN).' },
  ISOTEL_ERR_DEPLOY_BAD_REQUEST: { status: 400, userFault: true, hint: 'A deploy is JSON {"source": "<ES module>", "filename"?: "name.js|ts", "limits"?: {...}, "env"?: {"KEY": "value"}}; the message names the field that is wrong.' },
  ISOTEL_ERR_VERSION_NOT_FOUND: { status: 404, userFault: true, hint: 'This function has no such version: list its versions with GET /_isotel/functions/<name>.' },
  ISOTEL_ERR_LIMIT_WALL_TIME: { status: 504, userFault: true, hint: 'The invocation ran past its wall-time limit (awaiting included) and was stopped: respond sooner, or raise limits.wallMs.' },
  ISOTEL_ERR_LIMIT_CPU_TIME: { status: 503, userFault: true, hint: 'The invocation used more CPU time than its limit and its isolate was stopped: do less work per request, or raise limits.cpuMs.' },
  ISOTEL_ERR_LIMIT_REQUEST_BODY: { status: 413, userFault: true, hint: 'The request body is larger than the function accepts (limits.maxRequestBytes).' },
  ISOTEL_ERR_LIMIT_RESPONSE_BODY: { status: 502, userFault: true, hint: 'The function\'s response body is larger than its limit (limits.maxResponseBytes): stream less, or raise the limit.' },
  ISOTEL_ERR_FUNCTION_OVERLOADED: { status: 503, userFault: false, hint: 'Every instance of this function is at its concurrency limit and the wait queue is full: retry later, or raise limits.maxInstances / limits.concurrency.' },
  ISOTEL_ERR_WORKER_UNAVAILABLE: { status: 503, userFault: false, hint: 'The worker process running this function is restarting; retry shortly.' },
  ISOTEL_ERR_INTERNAL: { status: 500, userFault: false, hint: 'An internal error occurred; the host log has the details.' },

  // isolates and the in-isolate runtime (host/isolate)
  ISOTEL_ERR_LIMIT_MEMORY: { status: 503, userFault: true, hint: 'The function exceeded its isolate memory limit and its isolate was disposed: use less memory (stream large bodies instead of buffering them) or raise the limit.' },
  ISOTEL_ERR_SANDBOX_DISPOSED: { status: 503, userFault: false, hint: 'The isolate running this invocation was disposed (limit reached, eviction or shutdown) before it finished; retry the request.' },
  ISOTEL_ERR_INVOKE_ABORTED: { status: 499, userFault: true, hint: 'The invocation was aborted (the client went away or a wall-time limit was reached) before the function responded.' },
  ISOTEL_ERR_EGRESS_DENIED: { status: 403, userFault: true, hint: 'fetch() to this address is blocked by the function\'s egress policy (loopback, private, link-local and metadata addresses are denied by default): add the host to the function\'s egress allow-list.' },
  ISOTEL_ERR_SUBREQUEST_LIMIT: { status: 429, userFault: true, hint: 'The invocation made more fetch() subrequests than its limit allows: make fewer subrequests or raise the limit.' },
  ISOTEL_ERR_RUNTIME_NOT_BUILT: { status: 500, userFault: false, hint: 'The isolate runtime bundle (dist/runtime/runtime.js) is missing: run `npm run build`.' },
  ISOTEL_ERR_RUN_FILE: { status: 400, userFault: true, hint: '`isotel run` could not read the script file: check the path.' },

  // collector and ClickHouse
  ISOTEL_ERR_CLICKHOUSE_UNAVAILABLE: { status: 503, userFault: false, hint: 'ClickHouse could not be reached: check ISOTEL_CLICKHOUSE_URL, or that the collector is running.' },
  ISOTEL_ERR_QUERY_FAILED: { status: 400, userFault: true, hint: 'ClickHouse refused the query; its message says why.' },
  ISOTEL_ERR_QUERY_READONLY: { status: 400, userFault: true, hint: 'The query API is read-only: only SELECT, SHOW, DESCRIBE, EXPLAIN and WITH queries run there.' },
  // collector: OTLP receivers, durable queue, schema, query API
  ISOTEL_ERR_OTLP_UNDECODABLE: { status: 400, userFault: true, hint: 'The OTLP body could not be decoded: send an Export<Signal>ServiceRequest as protobuf (application/x-protobuf) or OTLP/JSON (hex ids, integer enums, lowerCamelCase keys).' },
  ISOTEL_ERR_OTLP_TOO_LARGE: { status: 413, userFault: true, hint: 'The OTLP body is over the collector limit: export smaller batches, or raise ISOTEL_COLLECTOR_MAX_BODY_BYTES.' },
  ISOTEL_ERR_OTLP_UNSUPPORTED_MEDIA: { status: 415, userFault: true, hint: 'Use Content-Type application/x-protobuf or application/json, and Content-Encoding gzip, deflate or none.' },
  ISOTEL_ERR_OTLP_NOT_FOUND: { status: 404, userFault: true, hint: 'OTLP/HTTP paths are POST /v1/traces, /v1/metrics and /v1/logs.' },
  ISOTEL_ERR_OTLP_OVER_CAPACITY: { status: 429, userFault: false, hint: 'The collector queue is full (ClickHouse is slow or down); the sender should retry after the Retry-After delay.' },
  ISOTEL_ERR_COLLECTOR_CLOSING: { status: 503, userFault: false, hint: 'The collector is shutting down; retry against the restarted collector.' },
  ISOTEL_ERR_QUEUE_IO: { status: 503, userFault: false, hint: 'The durable queue could not write to the data directory: check free disk space and permissions of <dataDir>/queue.' },
  ISOTEL_ERR_DATA_DIR_LOCKED: { status: 500, userFault: true, hint: 'Another collector process holds this data directory (the embedded engine binds one data directory per process): stop it, or use another ISOTEL_DATA_DIR.' },
  ISOTEL_ERR_CLICKHOUSE_MIGRATION: { status: 500, userFault: false, hint: 'Applying the ClickHouse schema failed; the message names the migration file and statement.' },
  ISOTEL_ERR_QUERY_BAD_REQUEST: { status: 400, userFault: true, hint: 'POST /api/query takes a JSON body {"sql": "...", "format"?: "JSONEachRow"}.' },
  ISOTEL_ERR_QUERY_TIMEOUT: { status: 400, userFault: true, hint: 'The query ran past the time limit: narrow its time range or use the rollup tables (docs/collector.md).' },

  // alerting: rule files, the built-in evaluator, webhooks, `isotel check` (collector/alerts, cli/commands/check.ts)
  ISOTEL_ERR_ALERT_RULE_INVALID: { status: 500, userFault: true, hint: 'An alert rule file is not valid Grafana alerting provisioning YAML, or uses a feature the built-in evaluator lacks: fix the file, group, rule and field named in the message (docs/alerting.md lists what is supported).' },
  ISOTEL_ERR_ALERT_EVAL_FAILED: { status: 500, userFault: false, hint: 'Evaluating an alert rule failed (a query error or a bad result shape); GET /api/alerts shows the rule\'s last error. The rule is retried at its next interval.' },
  ISOTEL_ERR_ALERT_WEBHOOK_FAILED: { status: 502, userFault: false, hint: 'A webhook receiver did not accept an alert notification before the delivery deadline: check that it is up and answers 2xx (ISOTEL_ALERT_WEBHOOKS, ISOTEL_ALERT_WEBHOOK_DEADLINE_MS).' },
  ISOTEL_ERR_CHECK_BAD_INPUT: { status: 400, userFault: true, hint: '`isotel check coldstart` needs --function <name>; --baseline/--candidate name versions that have cold starts (GET /_isotel/functions/<name> lists them).' },
  ISOTEL_ERR_CHECK_INSUFFICIENT_DATA: { status: 400, userFault: true, hint: 'Too few cold starts to compare: drive more cold starts of both versions (scale to zero between requests) or lower --min-samples.' },
  // dashboards and the built-in viewer
  ISOTEL_ERR_DASHBOARD_INVALID: { status: 500, userFault: true, hint: 'A dashboard JSON file under dashboards/ is malformed: fix the file and panel named in the message.' },
  ISOTEL_ERR_DASHBOARD_NOT_FOUND: { status: 404, userFault: true, hint: 'No dashboard or panel with this uid/id: GET /api/dashboards lists them.' },
  ISOTEL_ERR_DASHBOARD_MACRO: { status: 400, userFault: true, hint: 'A panel query uses a Grafana macro or variable the viewer cannot expand: check its spelling and arguments.' },
  ISOTEL_ERR_VIEWER_BAD_REQUEST: { status: 400, userFault: true, hint: 'A viewer API parameter is invalid: the message names it (times are epoch ms or now-6h style, trace ids 32 hex characters).' },
  ISOTEL_ERR_TAIL_UNREACHABLE: { status: 503, userFault: false, hint: 'isotel tail cannot reach the collector viewer: start it (npm start) or pass --viewer-url.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class IsotelError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly userFault: boolean;
  /** Structured details safe to show to the caller (e.g. file, line, column). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IsotelError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.userFault = ERRORS[code].userFault;
    this.details = options?.details;
  }

  /** The JSON body a client sees. */
  toJSON(): { error: { code: ErrorCode; message: string; hint: string } & Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, hint: ERRORS[this.code].hint, ...this.details } };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** Rebuilds an IsotelError from its JSON form (after crossing a process boundary). */
export function errorFromJSON(body: unknown): IsotelError {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (e && isErrorCode(e.code)) {
    const { code, message, hint: _hint, ...details } = e as Record<string, unknown>;
    return new IsotelError(code as ErrorCode, String(message), { details });
  }
  return new IsotelError('ISOTEL_ERR_INTERNAL', `unrecognised error body: ${JSON.stringify(body)?.slice(0, 200)}`);
}
