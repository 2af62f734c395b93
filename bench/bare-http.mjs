/**
 * Bare Node: an http server answering every request with the same body of the given size and the headers a
 * compressed page has, in a process of its own, as the yardstick for a kept page (bench/forums.bench.ts).
 * Usage: node bench/bare-http.mjs <port> <bytes>; prints "listening" once it does.
 */
import { Buffer } from 'node:buffer';
import http from 'node:http';
import process from 'node:process';

const [port, bytes] = process.argv.slice(2).map(Number);
const body = Buffer.alloc(bytes, 'x');
const headers = { 'Content-Type': 'text/html; charset=utf-8', 'Content-Encoding': 'br', 'Content-Length': String(body.length) };

http
  .createServer((_req, res) => {
    res.writeHead(200, headers);
    res.end(body);
  })
  .listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
