/**
 * WHATWG Streams from web-streams-polyfill (based on the reference implementation):
 * readable (default + byte/BYOB), writable, transform, queuing strategies.
 */
import {
  ByteLengthQueuingStrategy, CountQueuingStrategy, ReadableByteStreamController, ReadableStream, ReadableStreamBYOBReader,
  ReadableStreamBYOBRequest, ReadableStreamDefaultController, ReadableStreamDefaultReader, TransformStream,
  TransformStreamDefaultController, WritableStream, WritableStreamDefaultController, WritableStreamDefaultWriter,
} from 'web-streams-polyfill';
import { expose } from './00_bootstrap.js';

const classes = {
  ByteLengthQueuingStrategy, CountQueuingStrategy, ReadableByteStreamController, ReadableStream, ReadableStreamBYOBReader,
  ReadableStreamBYOBRequest, ReadableStreamDefaultController, ReadableStreamDefaultReader, TransformStream,
  TransformStreamDefaultController, WritableStream, WritableStreamDefaultController, WritableStreamDefaultWriter,
};
for (const [name, cls] of Object.entries(classes)) expose(name, cls);

export { ReadableStream, WritableStream, TransformStream, ReadableStreamDefaultReader };
