// node_app.js: node's http module as a bench/run peer, behind nginx's
// proxy_pass with upstream keepalive. The routes and bodies of
// bench/apps/bench_app.cpp: /plaintext, /sleep?ms=N (a timer), /burn?us=N,
// /redis and /fortunes (Debian's node-redis), /wait and /notify (long poll on
// the Redis channel bench:event: one subscriber connection, the waiting
// responses kept in a set).
// Usage: node node_app.js SOCKET REDIS_SOCKET
'use strict';
const http = require('http');
const fs = require('fs');
const { createClient } = require('redis');

const [socketPath, redisPath] = process.argv.slice(2);
const BODY = 'Hello, World!';
const redis = createClient({ socket: { path: redisPath } });
const subscriber = redis.duplicate();
const waiting = new Set();

function send(res, status, body, type = 'text/plain') {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

async function fortunes(res) {
  const messages = await redis.lRange('bench:fortunes', 0, -1);
  const rows = messages.map((message, i) => ({ id: i + 1, message }));
  rows.push({ id: 0, message: 'Additional fortune added at request time.' });
  rows.sort((a, b) => (Buffer.compare(Buffer.from(a.message), Buffer.from(b.message))));
  let html = '<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>';
  for (const r of rows) html += `<tr><td>${r.id}</td><td>${escapeHtml(r.message)}</td></tr>`;
  html += '</table></body></html>';
  send(res, 200, html, 'text/html; charset=utf-8');
}

function burn(us) {
  const until = process.cpuUsage().user + us;
  let x = 0;
  while (process.cpuUsage().user < until) for (let i = 0; i < 256; i++) x = (x * 31 + i) | 0;
  return x;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://x');
  switch (url.pathname) {
    case '/plaintext': return send(res, 200, BODY);
    case '/sleep': return setTimeout(() => send(res, 200, BODY), Number(url.searchParams.get('ms')) || 0);
    case '/burn': burn(Number(url.searchParams.get('us')) || 100); return send(res, 200, BODY);
    case '/redis': return send(res, 200, (await redis.get('bench:hello')) ?? '');
    case '/fortunes': return fortunes(res);
    case '/wait': waiting.add(res); res.on('close', () => waiting.delete(res)); return;
    case '/notify': return send(res, 200, `${await redis.publish('bench:event', BODY)}\n`);
    default: return send(res, 404, 'not found\n');
  }
}

async function main() {
  await redis.connect();
  await subscriber.connect();
  await subscriber.subscribe('bench:event', (message) => {
    for (const res of waiting) send(res, 200, message);
    waiting.clear();
  });
  try { fs.unlinkSync(socketPath); } catch (e) { /* not there */ }
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => send(res, 503, `${e.message}\n`));
  });
  server.keepAliveTimeout = 120000;
  server.headersTimeout = 125000;
  server.requestTimeout = 0;
  server.listen({ path: socketPath, backlog: 4096 }, () => fs.chmodSync(socketPath, 0o666));
}

main().catch((e) => { console.error(e); process.exit(1); });
