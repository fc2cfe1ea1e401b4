/**
 * The request path between the gateway and a worker: length-prefixed binary frames
 * over a socket pair (an extra stdio pipe of the worker), instead of Node's IPC
 * channel. Node's 'advanced' IPC serialisation costs ~25–35 µs per message on each
 * side for these small messages; a frame is a JSON head plus raw body bytes, and
 * frames written in the same tick leave in one write.
 *
 * Frame: u32 length of the rest | u32 length of the JSON head | JSON head | bytes.
 * The bytes are the message's `body` or `chunk` (absent: no bytes field).
 */
import type { Socket } from 'node:net';

const EMPTY = Buffer.alloc(0);

type WithBytes = { body?: Uint8Array | null; chunk?: Uint8Array };

export class FrameChannel<In extends object, Out extends object> {
  readonly #socket: Socket;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #corked = false;

  constructor(socket: Socket, onMessage: (message: In) => void) {
    this.#socket = socket;
    socket.setNoDelay?.(true);
    socket.on('data', (data: Buffer) => {
      this.#pending.push(data);
      this.#pendingBytes += data.length;
      this.#drain(onMessage);
    });
  }

  #drain(onMessage: (message: In) => void): void {
    while (this.#pendingBytes >= 8) {
      if (this.#pending.length > 1) this.#pending = [Buffer.concat(this.#pending, this.#pendingBytes)];
      const buf = this.#pending[0]!;
      const length = buf.readUInt32LE(0);
      if (buf.length < 4 + length) return;
      const headLength = buf.readUInt32LE(4);
      const head = JSON.parse(buf.toString('utf8', 8, 8 + headLength)) as In & { $bytes?: 'body' | 'chunk' };
      const bytesField = head.$bytes;
      if (bytesField) {
        // A copy: the frame's bytes outlive this read buffer.
        (head as WithBytes)[bytesField] = Uint8Array.prototype.slice.call(buf, 8 + headLength, 4 + length);
        delete head.$bytes;
      }
      const rest = buf.subarray(4 + length);
      this.#pending = rest.length ? [rest] : [];
      this.#pendingBytes = rest.length;
      onMessage(head);
    }
  }

  send(message: Out): boolean {
    if (this.#socket.destroyed || !this.#socket.writable) return false;
    const m = message as Out & WithBytes;
    let bytes: Uint8Array = EMPTY;
    let field: 'body' | 'chunk' | undefined;
    if (m.body instanceof Uint8Array) field = 'body';
    else if (m.chunk instanceof Uint8Array) field = 'chunk';
    let head: string;
    if (field) {
      bytes = m[field]!;
      const { [field]: _omit, ...rest } = m;
      head = JSON.stringify({ ...rest, $bytes: field });
    } else head = JSON.stringify(m);
    const headLength = Buffer.byteLength(head);
    const frame = Buffer.allocUnsafe(8 + headLength);
    frame.writeUInt32LE(4 + headLength + bytes.byteLength, 0);
    frame.writeUInt32LE(headLength, 4);
    frame.write(head, 8, 'utf8');
    // Frames of one tick leave in one write.
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    this.#socket.write(frame);
    if (bytes.byteLength) this.#socket.write(bytes);
    return true;
  }

  close(): void {
    this.#socket.destroy();
  }
}
