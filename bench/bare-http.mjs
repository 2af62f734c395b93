/**
 * Bare Node: an http server answering every request with the same body and Content-Encoding as a kept thread page
 * (its compressed bytes, read from a file), in a process of its own, as the yardstick for kept pages
 * (bench/forums.bench.ts). The same bytes cost the load generator the same as the page does.
 * Usage: node bench/bare-http.mjs <port> <body file> <content-encoding>; prints "listening" once it does.
 */
import fs from 'node:fs';
import http from 'node:http';
import process from 'node:process';

const [port, file, encoding] = process.argv.slice(2);
const body = fs.readFileSync(file);
const headers = { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(body.length), ...(encoding === 'identity' ? {} : { 'Content-Encoding': encoding }) };

http
  .createServer((_req, res) => {
    res.writeHead(200, headers);
    res.end(body);
  })
  .listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
