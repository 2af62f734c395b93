import type http from 'node:http';
import net from 'node:net';
import type { Socket } from 'node:net';

/** How often a draining server looks for connections that have gone idle. */
const SWEEP_MS = 50;

export interface Draining {
  /**
   * Stops accepting connections, answers every request from now on with `Connection: close`, and ends each
   * keep-alive connection once it has been idle for `idleMs` (0: the idle ones at once); resolves when every
   * connection has ended. Upgraded connections (websockets) are left to their owner.
   */
  close(idleMs: number): Promise<void>;
}

/**
 * Stops an HTTP server without cutting a request short. A keep-alive client sends its next request as soon as
 * it has the previous answer; closing the connection in that instant (as `server.close()` does with every idle
 * connection) resets a request the client already sent. So a draining server answers what still comes on a
 * connection, with `Connection: close`, after which the connection ends with its answer, and closes only
 * connections that have stayed idle for a while: by then their client has nothing more to send.
 * Must be attached before the server accepts connections.
 */
export function drainingOf(server: http.Server, now: () => number = Date.now): Draining {
  /** Connections with no request in progress, and since when. */
  const idleSince = new Map<Socket, number>();
  let draining = false;

  server.on('connection', (socket: Socket) => {
    idleSince.set(socket, now());
    socket.once('close', () => idleSince.delete(socket));
  });
  server.prependListener('request', (req, res) => {
    const socket = req.socket;
    idleSince.delete(socket);
    if (draining) res.shouldKeepAlive = false;
    res.once('close', () => {
      if (!socket.destroyed) idleSince.set(socket, now());
    });
  });
  server.prependListener('upgrade', (req: http.IncomingMessage) => {
    idleSince.delete(req.socket);
  });

  return {
    close(idleMs) {
      draining = true;
      if (idleMs <= 0) {
        return new Promise((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
      }
      const sweep = () => {
        for (const [socket, since] of idleSince) {
          if (now() - since >= idleMs) socket.destroy();
        }
      };
      const timer = setInterval(sweep, SWEEP_MS);
      timer.unref();
      return new Promise((resolve) => {
        // net's close, not http's: http's also closes every idle connection at once, which is what must not happen
        // here (the process exits once stopped, so the connection checks http's close also stops do not matter).
        net.Server.prototype.close.call(server, () => {
          clearInterval(timer);
          resolve();
        });
        sweep();
      });
    },
  };
}
