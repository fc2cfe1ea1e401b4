import { IsotelError } from './errors.js';

/** Turns EADDRINUSE & co. into an error that names the listener and how to move it. */
export function listenError(e: unknown, what: string, bind: string, port: number, how: string): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return new IsotelError('ISOTEL_ERR_PORT_IN_USE', `${what} port ${port} on ${bind} is already in use: stop the other process or choose another port (${how})`, { cause: e });
  if (code === 'EACCES') return new IsotelError('ISOTEL_ERR_PORT_IN_USE', `${what} may not listen on ${bind}:${port} (permission denied): choose a port above 1023 (${how})`, { cause: e });
  if (code === 'EADDRNOTAVAIL') return new IsotelError('ISOTEL_ERR_CONFIG_INVALID', `${what} cannot bind ${bind}: no such local address (ISOTEL_BIND)`, { cause: e });
  return e;
}
