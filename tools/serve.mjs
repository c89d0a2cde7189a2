#!/usr/bin/env node
// serve.mjs — the demo's static file server: the repo root on 127.0.0.1 (so /demo/ can import
// /web/ and /dist/), with COOP/COEP (threads need a cross-origin isolated page), byte ranges,
// ETags, and the MIME types ES modules and wasm need. Node built-ins only; never touches the network.
//
//   node tools/serve.mjs [--port 8080] [--root .] [--no-isolation]      (PORT=… also works)
//   import { serve } from './tools/serve.mjs'; const s = await serve(root, { port: 0 }); … s.close();
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.css': 'text/css; charset=utf-8',
  '.webmanifest': 'application/manifest+json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
  '.md': 'text/markdown; charset=utf-8', '.txt': 'text/plain; charset=utf-8', '.gguf': 'application/octet-stream',
};
const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/**
 * Serves `root` until close(). `isolated: false` leaves out COOP/COEP (to test the service
 * worker's cross-origin-isolation shim); `port: 0` picks a free port.
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
 */
export function serve(root, { port = 0, host = '127.0.0.1', isolated = true, log = false } = {}) {
  root = resolve(root);
  const server = createServer((req, res) => {
    const status = handle(root, isolated, req, res);
    if (log) console.log(`${status} ${req.method} ${req.url}${req.headers.range ? ` (${req.headers.range})` : ''}`);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      const p = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
      ok({ url: `http://${host}:${p}`, port: p,
           close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) });
    });
  });
}

// Answers one request; returns the status for the log.
function handle(root, isolated, req, res) {
  const base = { 'cache-control': 'no-cache', ...(isolated ? ISOLATION : {}) };
  const send = (code, headers = {}, body = '') => { res.writeHead(code, { ...base, ...headers }).end(body); return code; };
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { allow: 'GET, HEAD' });
  let path;
  try { path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname); } catch { return send(400); }
  if (path === '/') return send(302, { location: '/demo/' });
  if (/\/\./.test(path)) return send(404, { 'content-type': 'text/plain' }, 'not found\n');   // .git, .ci: not for browsers
  const file = resolve(join(root, path));
  if (file !== root && !file.startsWith(root + sep)) return send(403);
  let st;
  try { st = statSync(file); } catch { return send(404, { 'content-type': 'text/plain' }, 'not found\n'); }
  if (st.isDirectory()) {
    if (!path.endsWith('/')) return send(301, { location: path + '/' });
    return handleFile(join(file, 'index.html'), req, res, base, send);
  }
  return handleFile(file, req, res, base, send);
}

function handleFile(file, req, res, base, send) {
  let st;
  try { st = statSync(file); } catch { return send(404, { 'content-type': 'text/plain' }, 'not found\n'); }
  if (!st.isFile()) return send(404);
  const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  const headers = { ...base, 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'accept-ranges': 'bytes',
                    etag, 'last-modified': st.mtime.toUTCString() };
  if (req.headers['if-none-match'] === etag) return send(304, { etag });
  const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  let start = 0, end = st.size - 1, code = 200;
  if (m && (m[1] || m[2]) && (!req.headers['if-range'] || req.headers['if-range'] === etag)) {
    if (m[1]) { start = Number(m[1]); if (m[2]) end = Math.min(Number(m[2]), st.size - 1); }
    else start = Math.max(0, st.size - Number(m[2]));   // suffix range: the last N bytes
    if (start >= st.size || start > end) return send(416, { 'content-range': `bytes */${st.size}` });
    code = 206;
    headers['content-range'] = `bytes ${start}-${end}/${st.size}`;
  }
  res.writeHead(code, { ...headers, 'content-length': end - start + 1 });
  if (req.method === 'HEAD' || st.size === 0) res.end();
  else createReadStream(file, { start, end }).pipe(res);
  return code;
}

function parseArgs(argv) {
  const o = { port: Number(process.env.PORT || 8080), root: fileURLToPath(new URL('..', import.meta.url)), isolated: true, log: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') o.port = Number(argv[++i]);
    else if (a === '--root') o.root = argv[++i];
    else if (a === '--no-isolation') o.isolated = false;
    else if (a === '--log') o.log = true;
    else { console.error(`usage: node tools/serve.mjs [--port N] [--root DIR] [--no-isolation] [--log]  (unknown: ${a})`); process.exit(2); }
  }
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) { console.error(`bad port: ${o.port}`); process.exit(2); }
  return o;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const o = parseArgs(process.argv.slice(2));
  try {
    const s = await serve(o.root, o);
    console.log(`pocketlm demo: ${s.url}/demo/   (serving ${o.root}${o.isolated ? ', cross-origin isolated' : ''}; Ctrl+C stops)`);
  } catch (e) {
    console.error(e.code === 'EADDRINUSE' ? `port ${o.port} is in use: try PORT=${o.port + 1} make demo` : e.message);
    process.exit(1);
  }
}
