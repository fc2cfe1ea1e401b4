/**
 * <dataDir>/collector.json: which process holds the data directory (the embedded
 * engine binds one data dir per process) and where its ports are, so `isotel query`
 * finds a running collector even on ephemeral ports.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IsotelError } from '../common/errors.js';

export interface CollectorInfo {
  pid: number;
  bind: string;
  ports: { otlpHttp: number; otlpGrpc: number; viewer: number };
  clickhouse: string;
}

const file = (dataDir: string) => join(dataDir, 'collector.json');

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

/** The running collector of this data directory, if any. */
export function readCollectorInfo(dataDir: string): CollectorInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(file(dataDir), 'utf8')) as CollectorInfo;
    return info.pid !== process.pid && alive(info.pid) ? info : info.pid === process.pid ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Claims the data directory for this process, or throws if a live collector holds it. */
export function claimDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  const other = readCollectorInfo(dataDir);
  if (other && other.pid !== process.pid) {
    throw new IsotelError('ISOTEL_ERR_DATA_DIR_LOCKED', `collector pid ${other.pid} holds ${dataDir} (viewer port ${other.ports.viewer})`);
  }
  writeFileSync(file(dataDir), JSON.stringify({ pid: process.pid, bind: '', ports: { otlpHttp: 0, otlpGrpc: 0, viewer: 0 }, clickhouse: '' }));
}

export function publishCollectorInfo(dataDir: string, info: CollectorInfo): void {
  writeFileSync(file(dataDir), JSON.stringify(info));
}

export function releaseDataDir(dataDir: string): void {
  const info = readCollectorInfo(dataDir);
  if (info?.pid === process.pid) rmSync(file(dataDir), { force: true });
}
