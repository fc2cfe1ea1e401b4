-- isotel's rollups for dashboards and alert rules: materialized views over the
-- exporter tables, so they fill the same way whether the embedded collector or a
-- real otelcol-contrib writes otel_*. Columns are documented in docs/collector.md.
-- Names (span names, attributes, metric names) come from sdk/protocol/names.ts.
-- Merge the *Quantiles states with quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(col).

-- Invocations per function (ServiceName), version and minute, from the invocation
-- (SERVER) spans. StatusCode/SpanKind also match the pre-2024 exporter spellings.
CREATE TABLE IF NOT EXISTS isotel_fn_minute (
    Minute DateTime CODEC(Delta, ZSTD(1)),
    ServiceName LowCardinality(String),
    Version LowCardinality(String),
    Invocations SimpleAggregateFunction(sum, UInt64),
    Errors SimpleAggregateFunction(sum, UInt64),
    ColdStarts SimpleAggregateFunction(sum, UInt64),
    DurationSumNs SimpleAggregateFunction(sum, UInt64),
    DurationMaxNs SimpleAggregateFunction(max, UInt64),
    DurationQuantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), UInt64),
    ColdDurationQuantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toDate(Minute)
ORDER BY (ServiceName, Version, Minute)
{{TTL:Minute}}
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS isotel_fn_minute_mv TO isotel_fn_minute AS
SELECT
    toStartOfMinute(Timestamp) AS Minute,
    ServiceName,
    ResourceAttributes['faas.version'] AS Version,
    count() AS Invocations,
    countIf(StatusCode IN ('Error', 'STATUS_CODE_ERROR')) AS Errors,
    countIf(SpanAttributes['faas.coldstart'] = 'true') AS ColdStarts,
    sum(Duration) AS DurationSumNs,
    max(Duration) AS DurationMaxNs,
    quantilesTDigestState(0.5, 0.9, 0.95, 0.99)(Duration) AS DurationQuantiles,
    quantilesTDigestStateIf(0.5, 0.9, 0.95, 0.99)(Duration, SpanAttributes['faas.coldstart'] = 'true') AS ColdDurationQuantiles
FROM otel_traces
WHERE SpanKind IN ('Server', 'SPAN_KIND_SERVER')
GROUP BY Minute, ServiceName, Version;

-- Cold starts per function, version, phase and minute, from the isotel.coldstart span
-- (Phase = 'total') and its per-phase children isotel.coldstart.<phase>.
CREATE TABLE IF NOT EXISTS isotel_coldstart_minute (
    Minute DateTime CODEC(Delta, ZSTD(1)),
    ServiceName LowCardinality(String),
    Version LowCardinality(String),
    Phase LowCardinality(String),
    Count SimpleAggregateFunction(sum, UInt64),
    CodeCacheHits SimpleAggregateFunction(sum, UInt64),
    DurationSumNs SimpleAggregateFunction(sum, UInt64),
    DurationMaxNs SimpleAggregateFunction(max, UInt64),
    DurationQuantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toDate(Minute)
ORDER BY (ServiceName, Version, Phase, Minute)
{{TTL:Minute}}
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS isotel_coldstart_minute_mv TO isotel_coldstart_minute AS
SELECT
    toStartOfMinute(Timestamp) AS Minute,
    ServiceName,
    ResourceAttributes['faas.version'] AS Version,
    if(SpanName = 'isotel.coldstart', 'total',
       if(SpanAttributes['isotel.coldstart.phase'] != '', SpanAttributes['isotel.coldstart.phase'],
          replaceOne(SpanName, 'isotel.coldstart.', ''))) AS Phase,
    count() AS Count,
    countIf(SpanAttributes['isotel.code_cache.hit'] = 'true') AS CodeCacheHits,
    sum(Duration) AS DurationSumNs,
    max(Duration) AS DurationMaxNs,
    quantilesTDigestState(0.5, 0.9, 0.95, 0.99)(Duration) AS DurationQuantiles
FROM otel_traces
WHERE SpanName = 'isotel.coldstart' OR startsWith(SpanName, 'isotel.coldstart.')
GROUP BY Minute, ServiceName, Version, Phase;

-- Density gauges per host and minute: resident instances (per function when the
-- point carries faas.name, else the host total), resident functions, pool size, RSS.
CREATE TABLE IF NOT EXISTS isotel_density_minute (
    Minute DateTime CODEC(Delta, ZSTD(1)),
    HostName LowCardinality(String),
    MetricName LowCardinality(String),
    Function LowCardinality(String),
    Samples SimpleAggregateFunction(sum, UInt64),
    ValueSum SimpleAggregateFunction(sum, Float64),
    ValueMax SimpleAggregateFunction(max, Float64),
    ValueLast AggregateFunction(argMax, Float64, DateTime64(9))
) ENGINE = AggregatingMergeTree()
PARTITION BY toDate(Minute)
ORDER BY (HostName, MetricName, Function, Minute)
{{TTL:Minute}}
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS isotel_density_minute_mv TO isotel_density_minute AS
SELECT
    toStartOfMinute(TimeUnix) AS Minute,
    ResourceAttributes['host.name'] AS HostName,
    MetricName,
    Attributes['faas.name'] AS Function,
    count() AS Samples,
    sum(Value) AS ValueSum,
    max(Value) AS ValueMax,
    argMaxState(Value, TimeUnix) AS ValueLast
FROM otel_metrics_gauge
WHERE MetricName IN ('isotel.instances.resident', 'isotel.functions.resident', 'isotel.pool.size', 'isotel.host.rss')
GROUP BY Minute, HostName, MetricName, Function;
