/**
 * Wall-clock nanoseconds with sub-millisecond resolution: a monotonic hrtime
 * reading anchored once to the epoch. Telemetry timestamps come from here so that
 * spans measured in different processes line up and phases keep their resolution.
 */
const anchorHr = process.hrtime.bigint();
const anchorUnixNano = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));

export function unixNanoNow(): bigint {
  return anchorUnixNano + (process.hrtime.bigint() - anchorHr);
}

/** Converts an hrtime.bigint() reading taken in this process to unix nanoseconds. */
export function hrToUnixNano(hr: bigint): bigint {
  return anchorUnixNano + (hr - anchorHr);
}
