/**
 * Telemetry names shared by the host, the runtime, the collector's rollups, the
 * dashboards and the alert rules. OpenTelemetry semantic-convention names where one
 * exists (faas.*, http.*, url.*); isotel's own under `isotel.*`. A test checks that
 * the SQL in dashboards/ and collector-config/ uses only names defined here.
 */

/** Resource attributes (one Resource per function instance). */
export const RESOURCE = {
  serviceName: 'service.name',
  serviceVersion: 'service.version',
  serviceInstanceId: 'service.instance.id',
  faasName: 'faas.name',
  faasVersion: 'faas.version',
  faasInstance: 'faas.instance',
  faasMaxMemory: 'faas.max_memory',
  hostName: 'host.name',
  hostId: 'host.id',
  processPid: 'process.pid',
  cloudProvider: 'cloud.provider',
  cloudPlatform: 'cloud.platform',
} as const;

/** Span names. The invocation span is named after the function (FaaS semconv: "name SHOULD be the function name"). */
export const SPAN = {
  coldStart: 'isotel.coldstart',
  phaseAcquire: 'isotel.coldstart.acquire',
  phaseCompile: 'isotel.coldstart.compile',
  phaseEvaluate: 'isotel.coldstart.evaluate',
  phaseDispatch: 'isotel.coldstart.dispatch',
} as const;

/** The cold-start phases, in order, as they appear in `isotel.coldstart.phase` and span names. */
export const COLDSTART_PHASES = ['acquire', 'compile', 'evaluate', 'dispatch'] as const;
export type ColdStartPhase = (typeof COLDSTART_PHASES)[number];

/** Span attributes. */
export const ATTR = {
  faasTrigger: 'faas.trigger',
  faasColdstart: 'faas.coldstart',
  faasInvocationId: 'faas.invocation_id',
  httpRequestMethod: 'http.request.method',
  httpResponseStatusCode: 'http.response.status_code',
  httpRoute: 'http.route',
  urlPath: 'url.path',
  urlQuery: 'url.query',
  urlScheme: 'url.scheme',
  urlFull: 'url.full',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  userAgentOriginal: 'user_agent.original',
  errorType: 'error.type',
  coldStartPhase: 'isotel.coldstart.phase',
  codeCacheHit: 'isotel.code_cache.hit',
  poolHit: 'isotel.pool.hit',
  functionVersion: 'isotel.function.version',
  workerId: 'isotel.worker.id',
  cpuTimeNs: 'isotel.cpu_time_ns',
  errorCode: 'isotel.error.code',
  droppedSpans: 'isotel.telemetry.dropped_spans',
  droppedLogs: 'isotel.telemetry.dropped_logs',
  droppedEvents: 'isotel.telemetry.dropped_events',
  droppedAttributes: 'isotel.telemetry.dropped_attributes',
  droppedMetricPoints: 'isotel.telemetry.dropped_metric_points',
  /** Kind of telemetry item on `isotel.telemetry.dropped` (span, event, attribute, log, metric_point, batch). */
  telemetryKind: 'isotel.telemetry.kind',
} as const;

/** Metric names. faas.* follow the FaaS semantic conventions; isotel.* are density metrics semconv lacks. */
export const METRIC = {
  invokeDuration: 'faas.invoke_duration',
  initDuration: 'faas.init_duration',
  coldstarts: 'faas.coldstarts',
  invocations: 'faas.invocations',
  errors: 'faas.errors',
  timeouts: 'faas.timeouts',
  memUsage: 'faas.mem_usage',
  cpuUsage: 'faas.cpu_usage',
  instancesResident: 'isotel.instances.resident',
  functionsResident: 'isotel.functions.resident',
  instanceHeap: 'isotel.instance.heap',
  poolSize: 'isotel.pool.size',
  poolMisses: 'isotel.pool.misses',
  evictions: 'isotel.instances.evictions',
  scaleToZero: 'isotel.instances.scaled_to_zero',
  hostRss: 'isotel.host.rss',
  /** Logical CPUs of the host (gauge): the denominator of "functions per core". */
  hostCpus: 'isotel.host.cpus',
  telemetryDropped: 'isotel.telemetry.dropped',
} as const;

/** Instrumentation scope of the host's own telemetry. */
export const HOST_SCOPE = 'isotel.host';

/** The embedded collector's self-telemetry (metric rows in otel_metrics_*, ServiceName = COLLECTOR_SERVICE). */
export const COLLECTOR_SERVICE = 'isotel-collector';
export const COLLECTOR_METRIC = {
  acceptedItems: 'isotel.collector.accepted_items',
  rejectedItems: 'isotel.collector.rejected_items',
  refusedRequests: 'isotel.collector.refused_requests',
  badRequests: 'isotel.collector.bad_requests',
  insertedRows: 'isotel.collector.inserted_rows',
  droppedRows: 'isotel.collector.dropped_rows',
  insertFailures: 'isotel.collector.insert_failures',
  queueBytes: 'isotel.collector.queue.bytes',
  queueRows: 'isotel.collector.queue.rows',
  queueOldestAge: 'isotel.collector.queue.oldest_age',
  insertDuration: 'isotel.collector.insert.duration',
  ingestLagP99: 'isotel.collector.ingest_lag.p99',
} as const;
