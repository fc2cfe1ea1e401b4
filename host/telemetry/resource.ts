/**
 * The Resource of a function instance: who produced a span. `service.name` is the
 * function name because it fills `ServiceName`, the leading sort key of the trace
 * and metric tables, so per-function queries prune well.
 */
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { hostname } from 'node:os';
import { RESOURCE } from '../../sdk/protocol/names.js';
import type { InstanceInfo } from '../pool/events.js';

const HOST = hostname();
const SDK_VERSION = '2.12.0';

export function instanceResource(instance: InstanceInfo, workerId: string): Resource {
  return resourceFromAttributes({
    [RESOURCE.serviceName]: instance.fn,
    [RESOURCE.serviceVersion]: instance.version,
    [RESOURCE.serviceInstanceId]: instance.instanceId,
    [RESOURCE.faasName]: instance.fn,
    [RESOURCE.faasVersion]: instance.version,
    [RESOURCE.faasInstance]: instance.instanceId,
    [RESOURCE.faasMaxMemory]: instance.memoryLimitMb * 1024 * 1024,
    [RESOURCE.hostName]: HOST,
    [RESOURCE.processPid]: process.pid,
    'isotel.worker.id': workerId,
    'telemetry.sdk.name': 'isotel',
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': SDK_VERSION,
  });
}
