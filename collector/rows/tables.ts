/**
 * The INSERT column lists of the OpenTelemetry Collector ClickHouse exporter — the
 * compatibility contract (research/pipeline-facts.md §1.1) — with the RowBinary type
 * each column is written as. Queue segments hold rows in exactly this order, and
 * the same list names the columns of the INSERT that reads them.
 */
const MAP = 'Map(String, String)';
const TS = 'DateTime64(9)';

type Columns = readonly (readonly [name: string, rowBinaryType: string])[];

const exemplars: Columns = [
  ['Exemplars.FilteredAttributes', `Array(${MAP})`],
  ['Exemplars.TimeUnix', `Array(${TS})`],
  ['Exemplars.Value', 'Array(Float64)'],
  ['Exemplars.SpanId', 'Array(String)'],
  ['Exemplars.TraceId', 'Array(String)'],
];

const metricPrefix: Columns = [
  ['ResourceAttributes', MAP],
  ['ResourceSchemaUrl', 'String'],
  ['ScopeName', 'String'],
  ['ScopeVersion', 'String'],
  ['ScopeAttributes', MAP],
  ['ScopeDroppedAttrCount', 'UInt32'],
  ['ScopeSchemaUrl', 'String'],
  ['ServiceName', 'String'],
  ['MetricName', 'String'],
  ['MetricDescription', 'String'],
  ['MetricUnit', 'String'],
  ['Attributes', MAP],
  ['StartTimeUnix', TS],
  ['TimeUnix', TS],
];

export const TABLE_COLUMNS = {
  otel_traces: [
    ['Timestamp', TS],
    ['TraceId', 'String'],
    ['SpanId', 'String'],
    ['ParentSpanId', 'String'],
    ['TraceState', 'String'],
    ['SpanName', 'String'],
    ['SpanKind', 'String'],
    ['ServiceName', 'String'],
    ['ResourceAttributes', MAP],
    ['ScopeName', 'String'],
    ['ScopeVersion', 'String'],
    ['SpanAttributes', MAP],
    ['Duration', 'UInt64'],
    ['StatusCode', 'String'],
    ['StatusMessage', 'String'],
    ['Events.Timestamp', `Array(${TS})`],
    ['Events.Name', 'Array(String)'],
    ['Events.Attributes', `Array(${MAP})`],
    ['Links.TraceId', 'Array(String)'],
    ['Links.SpanId', 'Array(String)'],
    ['Links.TraceState', 'Array(String)'],
    ['Links.Attributes', `Array(${MAP})`],
  ],
  otel_logs: [
    ['Timestamp', TS],
    ['TraceId', 'String'],
    ['SpanId', 'String'],
    ['TraceFlags', 'UInt8'],
    ['SeverityText', 'String'],
    ['SeverityNumber', 'UInt8'],
    ['ServiceName', 'String'],
    ['Body', 'String'],
    ['ResourceSchemaUrl', 'String'],
    ['ResourceAttributes', MAP],
    ['ScopeSchemaUrl', 'String'],
    ['ScopeName', 'String'],
    ['ScopeVersion', 'String'],
    ['ScopeAttributes', MAP],
    ['LogAttributes', MAP],
    ['EventName', 'String'],
  ],
  otel_metrics_gauge: [...metricPrefix, ['Value', 'Float64'], ['Flags', 'UInt32'], ...exemplars],
  otel_metrics_sum: [...metricPrefix, ['Value', 'Float64'], ['Flags', 'UInt32'], ...exemplars, ['AggregationTemporality', 'Int32'], ['IsMonotonic', 'Bool']],
  otel_metrics_histogram: [
    ...metricPrefix,
    ['Count', 'UInt64'],
    ['Sum', 'Float64'],
    ['BucketCounts', 'Array(UInt64)'],
    ['ExplicitBounds', 'Array(Float64)'],
    ...exemplars,
    ['Flags', 'UInt32'],
    ['Min', 'Float64'],
    ['Max', 'Float64'],
    ['AggregationTemporality', 'Int32'],
  ],
  otel_metrics_exponential_histogram: [
    ...metricPrefix,
    ['Count', 'UInt64'],
    ['Sum', 'Float64'],
    ['Scale', 'Int32'],
    ['ZeroCount', 'UInt64'],
    ['PositiveOffset', 'Int32'],
    ['PositiveBucketCounts', 'Array(UInt64)'],
    ['NegativeOffset', 'Int32'],
    ['NegativeBucketCounts', 'Array(UInt64)'],
    ...exemplars,
    ['Flags', 'UInt32'],
    ['Min', 'Float64'],
    ['Max', 'Float64'],
    ['AggregationTemporality', 'Int32'],
  ],
  otel_metrics_summary: [...metricPrefix, ['Count', 'UInt64'], ['Sum', 'Float64'], ['ValueAtQuantiles.Quantile', 'Array(Float64)'], ['ValueAtQuantiles.Value', 'Array(Float64)'], ['Flags', 'UInt32']],
} as const satisfies Record<string, Columns>;

export type TableName = keyof typeof TABLE_COLUMNS;
export const TABLES = Object.keys(TABLE_COLUMNS) as TableName[];
export const METRIC_TABLES = ['otel_metrics_gauge', 'otel_metrics_sum', 'otel_metrics_histogram', 'otel_metrics_exponential_histogram', 'otel_metrics_summary'] as const satisfies readonly TableName[];

const quote = (name: string) => '`' + name + '`';

/** `(Timestamp, TraceId, …)` — the exporter's INSERT column list. */
export function insertColumns(table: TableName): string {
  return `(${TABLE_COLUMNS[table].map(([n]) => quote(n)).join(', ')})`;
}

/** The structure argument of `file(…, 'RowBinary', structure)`. */
export function rowBinaryStructure(table: TableName): string {
  return TABLE_COLUMNS[table].map(([n, t]) => `${quote(n)} ${t}`).join(', ');
}

export function isTableName(s: string): s is TableName {
  return Object.hasOwn(TABLE_COLUMNS, s);
}
