import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import Redis from 'ioredis';
import { waitFor } from './harness';

/** A port nobody listens on right now (the OS picks it; a tiny race with other processes is acceptable in tests). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * A redis-server of the test's own, for tests that stop Redis: the shared one on 6379 serves other suites. No
 * persistence, so a restart comes back empty, as a Redis without AOF would.
 */
export class RedisServer {
  private child?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (again) on the same port; resolves once it answers PING. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('redis-server is already running');
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    await waitFor(`redis-server on port ${this.port}`, () => {
      if (!this.child) throw new Error(`redis-server could not start on port ${this.port}`);
      return this.answersPing();
    }, 10_000);
  }

  /** A bare socket, not an ioredis client: a refused ioredis connect leaves a 2 s timer behind. */
  private answersPing(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(this.port, '127.0.0.1');
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
      socket.once('error', () => done(false));
    });
  }

  /** Kills it like a crash or an OOM kill would (no shutdown, connections drop at once). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /**
   * A client of the test's own. Close it with `await quit()` while Redis runs: `disconnect()` leaves ioredis's 2 s
   * disconnect timer alive until Redis closes the socket. It does not reconnect, so a kill leaves no retry timer.
   */
  client(): Redis {
    return new Redis({ port: this.port, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => null });
  }
}
