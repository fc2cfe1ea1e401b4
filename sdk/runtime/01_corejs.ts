/**
 * Spec-following pure-JS pieces taken from core-js (the most complete set for a bare
 * isolate; see research/runtime-facts.md (d)): DOMException, atob/btoa,
 * structuredClone, URL, URLSearchParams. Each module installs its global when V8
 * lacks it; evaluated once per isolate, at sandbox creation.
 */
import 'core-js/modules/web.dom-exception.constructor.js';
import 'core-js/modules/web.dom-exception.stack.js';
import 'core-js/modules/web.dom-exception.to-string-tag.js';
import 'core-js/modules/web.atob.js';
import 'core-js/modules/web.btoa.js';
import 'core-js/modules/web.url-search-params.js';
import 'core-js/modules/web.url-search-params.delete.js';
import 'core-js/modules/web.url-search-params.has.js';
import 'core-js/modules/web.url-search-params.size.js';
import 'core-js/modules/web.url.js';
import 'core-js/modules/web.url.can-parse.js';
import 'core-js/modules/web.url.parse.js';
import 'core-js/modules/web.url.to-json.js';
