import net from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * The benchmarks' HTTP load generator: keep-alive connections on raw sockets, each sending its next GET as soon as
 * the answer to the previous one has ended (no pipelining), over the given paths in turn.
 *
 * It reads only what frames an answer (the status line, Content-Length, Transfer-Encoding: chunked, Connection:
 * close) and counts the body's bytes without decoding them. A general-purpose client turns every body into a string
 * or a stream of chunks: for a compressed (binary) page that decoding cost the load generator more CPU than the
 * server spent sending the page, on the same cores, so the benchmark measured its own client.
 */

export interface HttpLoadOptions {
  /** http://host:port; the paths are asked of it. */
  readonly url: string;
  readonly paths: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly seconds: number;
  /** An answer not ended this long after its request counts as a timeout, and its connection is opened again. */
  readonly timeoutMs?: number;
}

export interface HttpLoadResult {
  /** Answers ended within the run, per second of it. */
  readonly requests: { readonly average: number; readonly total: number };
  /** From writing the request to the answer's last byte, in ms. */
  readonly latency: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Body bytes of the answers counted, as they travel (still compressed). */
  readonly bytes: number;
  readonly statusCodes: Readonly<Record<number, number>>;
  readonly non2xx: number;
  /** Connections that failed, were reset or closed before an answer ended, and answers that could not be read. */
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
const LF = 0x0a;
const DEFAULT_TIMEOUT_MS = 10_000;
const RETRY_MS = 50;

/** Where the reader is in an answer. */
type State = 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close';

/** What AnswerReader.read found: the answer needs more bytes, or cannot be read. */
export const MORE = -1;
export const BAD = -2;

/**
 * Reads one HTTP/1.1 answer at a time from a connection's bytes, as they come in pieces cut anywhere: its status,
 * whether the connection closes after it, and how many body bytes it had (chunked or not), without decoding them.
 */
export class AnswerReader {
  private state: State = 'head';
  private head: Buffer | null = null;
  private remaining = 0;
  /** A line (a chunk's size or a trailer) cut between pieces. */
  private line = '';
  status = 0;
  closeAfter = false;
  /** Body bytes of the answer. */
  received = 0;

  /** Reads from `chunk` at `at`: returns where the answer ended in it, MORE, or BAD. */
  read(chunk: Buffer, at: number): number {
    while (at < chunk.length || this.endsWithHead()) {
      switch (this.state) {
        case 'head': {
          const data = this.head ? Buffer.concat([this.head, chunk.subarray(at)]) : at === 0 ? chunk : chunk.subarray(at);
          const end = data.indexOf(HEAD_END);
          if (end < 0) {
            this.head = Buffer.from(data);
            return MORE;
          }
          const consumed = end + HEAD_END.length - (this.head?.length ?? 0);
          this.head = null;
          if (!this.startBody(data.toString('latin1', 0, end))) return BAD;
          at += consumed;
          break;
        }
        case 'body': {
          at += this.takeBody(chunk.length - at);
          if (this.remaining === 0) return this.end(at);
          break;
        }
        case 'chunk-size': {
          const line = this.readLine(chunk, at);
          if (line === null) return MORE;
          at = line.next;
          const size = parseInt(line.text, 16);
          if (!Number.isFinite(size) || size < 0) return BAD;
          this.remaining = size;
          this.state = size === 0 ? 'trailers' : 'chunk-data';
          break;
        }
        case 'chunk-data': {
          at += this.takeBody(chunk.length - at);
          if (this.remaining === 0) {
            this.remaining = CRLF.length;
            this.state = 'chunk-end';
          }
          break;
        }
        case 'chunk-end': {
          const n = Math.min(this.remaining, chunk.length - at);
          this.remaining -= n;
          at += n;
          if (this.remaining === 0) this.state = 'chunk-size';
          break;
        }
        case 'trailers': {
          // Trailer lines until an empty one.
          const line = this.readLine(chunk, at);
          if (line === null) return MORE;
          at = line.next;
          if (line.text === '') return this.end(at);
          break;
        }
        case 'until-close':
          this.received += chunk.length - at;
          return MORE;
      }
    }
    return MORE;
  }

  /** The connection ended: true when that ends the answer (one framed by the close alone). */
  closed(): boolean {
    return this.state === 'until-close';
  }

  /** A line ending in LF (CRLF, the CR dropped), which may have begun in an earlier piece; null when it goes on. */
  /** Counts the body bytes of this answer among the `available` ones: how many it took. */
  private takeBody(available: number): number {
    const n = Math.min(this.remaining, available);
    this.remaining -= n;
    this.received += n;
    return n;
  }

  private readLine(chunk: Buffer, at: number): { text: string; next: number } | null {
    const eol = chunk.indexOf(LF, at);
    if (eol < 0) {
      this.line += chunk.toString('latin1', at);
      return null;
    }
    const text = (this.line + chunk.toString('latin1', at, eol)).replace(/\r$/, '');
    this.line = '';
    return { text, next: eol + 1 };
  }

  private end(at: number): number {
    this.state = 'head';
    return at;
  }

  /** A bodyless answer, or one of Content-Length: 0, ends with its head. */
  private endsWithHead(): boolean {
    return this.state === 'body' && this.remaining === 0;
  }

  /** Reads the status line and framing headers; false when the head is not an HTTP/1.x answer's. */
  private startBody(head: string): boolean {
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    if (!match) return false;
    this.status = Number(match[1]);
    this.received = 0;
    this.closeAfter = /\r\nconnection:[ \t]*close/i.test(head) || head.startsWith('HTTP/1.0');
    if (this.status < 200) {
      // An interim answer (100 Continue, 103 Early Hints): the real one follows.
      this.state = 'head';
      return true;
    }
    if (this.status === 204 || this.status === 304) {
      this.remaining = 0;
      this.state = 'body';
      return true;
    }
    if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) {
      this.state = 'chunk-size';
      return true;
    }
    const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
    if (length) {
      this.remaining = Number(length[1]);
      this.state = 'body';
      return true;
    }
    this.closeAfter = true;
    this.state = 'until-close';
    return true;
  }
}

class Latencies {
  private samples = new Float64Array(1 << 16);
  private count = 0;

  add(ms: number): void {
    if (this.count === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.count++] = ms;
  }

  summary(): HttpLoadResult['latency'] {
    const sorted = this.samples.subarray(0, this.count).sort();
    const at = (p: number) => (this.count === 0 ? NaN : sorted[Math.min(this.count - 1, Math.floor((p / 100) * this.count))]!);
    return { p50: at(50), p99: at(99), max: this.count === 0 ? NaN : sorted[this.count - 1]! };
  }
}

interface Tally {
  completed: number;
  bytes: number;
  errors: number;
  timeouts: number;
  readonly statusCodes: Record<number, number>;
  readonly latencies: Latencies;
}

/** One keep-alive connection: sends a request, reads its answer's framing, counts it, sends the next. */
class Connection {
  private socket: net.Socket | null = null;
  private reader = new AnswerReader();
  private sentAt = 0;
  private waiting = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly requests: readonly Buffer[],
    private readonly next: { index: number },
    private readonly tally: Tally,
    private readonly running: () => boolean,
  ) {}

  open(): void {
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    this.socket = socket;
    this.reader = new AnswerReader();
    let connected = false;
    socket.on('connect', () => {
      connected = true;
      this.send();
    });
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('end', () => {
      if (this.socket === socket && this.waiting && this.reader.closed()) this.done();
      socket.end();
    });
    // Counted on 'close', which follows.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.waiting || !connected) this.tally.errors += 1;
      this.waiting = false;
      // A refused connection is tried again after a pause rather than in a tight loop.
      if (this.running()) setTimeout(() => this.running() && !this.socket && this.open(), connected ? 0 : RETRY_MS);
    });
  }

  /** An answer overdue by `timeoutMs` counts once as a timeout, and its connection starts again. */
  checkTimeout(now: number, timeoutMs: number): void {
    if (!this.waiting || now - this.sentAt < timeoutMs) return;
    this.waiting = false;
    this.tally.timeouts += 1;
    this.restart();
  }

  close(): void {
    const socket = this.socket;
    this.socket = null;
    this.waiting = false;
    socket?.destroy();
  }

  private restart(): void {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
    if (this.running()) this.open();
  }

  private send(): void {
    if (!this.running() || !this.socket) return;
    const request = this.requests[this.next.index++ % this.requests.length]!;
    this.waiting = true;
    this.sentAt = performance.now();
    this.socket.write(request);
  }

  private read(chunk: Buffer): void {
    let at = 0;
    while (this.waiting && at < chunk.length) {
      at = this.reader.read(chunk, at);
      if (at === MORE) return;
      if (at === BAD) {
        this.waiting = false;
        this.tally.errors += 1;
        this.restart();
        return;
      }
      this.done();
    }
  }

  private done(): void {
    this.waiting = false;
    const tally = this.tally;
    const reader = this.reader;
    tally.completed += 1;
    tally.bytes += reader.received;
    tally.statusCodes[reader.status] = (tally.statusCodes[reader.status] ?? 0) + 1;
    tally.latencies.add(performance.now() - this.sentAt);
    if (reader.closeAfter) this.restart();
    else this.send();
  }
}

/** Runs `connections` keep-alive connections for `seconds`; answers still open at the end are not counted. */
export async function httpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  const target = new URL(options.url);
  if (target.protocol !== 'http:') throw new Error(`the load generator speaks plain http only, not ${target.protocol}`);
  if (options.paths.length === 0) throw new Error('the load needs at least one path');
  const host = target.hostname;
  const port = Number(target.port || 80);
  const headerLines = Object.entries({ host: target.host, ...options.headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const requests = options.paths.map((p) => Buffer.from(`GET ${p} HTTP/1.1\r\n${headerLines}\r\n`, 'latin1'));
  const tally: Tally = { completed: 0, bytes: 0, errors: 0, timeouts: 0, statusCodes: {}, latencies: new Latencies() };
  let running = true;
  const next = { index: 0 };
  const connections = Array.from({ length: options.connections }, () => new Connection(host, port, requests, next, tally, () => running));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const start = performance.now();
  for (const c of connections) c.open();
  const watch = setInterval(() => {
    const now = performance.now();
    for (const c of connections) c.checkTimeout(now, timeoutMs);
  }, Math.min(250, timeoutMs / 4));
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  running = false;
  clearInterval(watch);
  const seconds = (performance.now() - start) / 1000;
  for (const c of connections) c.close();
  const non2xx = Object.entries(tally.statusCodes).reduce((sum, [code, n]) => (Number(code) >= 200 && Number(code) < 300 ? sum : sum + n), 0);
  return {
    requests: { average: tally.completed / seconds, total: tally.completed },
    latency: tally.latencies.summary(),
    bytes: tally.bytes,
    statusCodes: tally.statusCodes,
    non2xx,
    errors: tally.errors,
    timeouts: tally.timeouts,
    seconds,
  };
}
