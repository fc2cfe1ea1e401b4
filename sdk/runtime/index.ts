/**
 * The isotel runtime, evaluated once in every isolate at sandbox creation (pool
 * time). Load order is the file order. The bundle's completion value is `entry`.
 */
import './00_bootstrap.js';
import './01_webidl.js';
import './02_events.js';
import './03_globals.js';
import './04_url.js';
import './10_streams.js';
import './11_encoding.js';
import './12_blob.js';
import './20_headers.js';
import './22_request_response.js';
import './30_fetch.js';
import './31_crypto.js';
import './32_compression.js';
import './33_messaging.js';
import './34_wasm_urlpattern.js';
import './40_otel.js';
import { entry } from './50_dispatch.js';

// The bundle's completion value is this module's namespace: the RuntimeEntry methods (sdk/protocol/entry.ts).
export const { warmup, warmupSync, compact, uncaughtError, attach, invoke, invokeSync, pull, cancel, abort, complete, unhandledRejection, builtinModule, builtinModuleNames, builtinModuleExports } = entry;
