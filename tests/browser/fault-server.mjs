// fault-server.mjs — a model server on 127.0.0.1 that misbehaves on request, for the loader tests
// (Node and Chromium). GET /m/<file under root>?<faults> serves the file with byte ranges, a strong
// ETag and CORS (pages on another port fetch from it, as from a CDN); the query picks faults:
//   range=0        ignore Range (always 200 with the whole file)
//   range=first    honour Range only for the first request of a file (bytes=0-), ignore it later
//   length=0       no Content-Length (chunked)
//   drop=N         the first response that reaches file byte N is cut there (once per server)
//   dropEvery=N    every response is cut after N body bytes
//   short=N        every response announces its length but ends N bytes early (connection closed)
//   shortOnce=N    the same, once
//   lie=K          200 responses announce Content-Length = size + K (K may be negative)
//   slow=MS        a pause of MS ms before each 16 KiB
//   stall=N        after N body bytes the response stops sending (the connection stays open)
//   status=S       answer with HTTP status S (no body)
//   html=1         answer 200 with an HTML page (a login wall, an error page)
// GET /hf/<org>/<repo>/resolve/<rev>/<file>?<faults> redirects (302) to /m/<file>?<faults>, as
// Hugging Face sends a CDN. Every request is logged ({ path, range }) for assertions.
import { createServer } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
const CHUNK = 16 * 1024;

/** @returns {Promise<{ url: string, log: Array<{ path: string, range: string | undefined }>, reset: () => void, close: () => Promise<void> }>} */
export function faultServer(root) {
  const log = [], once = new Set(), files = new Map();
  const file = (rel) => {
    const path = join(root, normalize(rel).replace(/^(\.\.[/\\])+/, ''));
    const st = statSync(path);
    const key = `${path}:${st.mtimeMs}:${st.size}`;
    if (!files.has(key)) files.set(key, { bytes: readFileSync(path), etag: `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"` });
    return files.get(key);
  };
  const sockets = new Set();
  const server = createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    log.push({ path: u.pathname + u.search, range: req.headers.range });
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', 'content-range, etag, content-length, accept-ranges');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-headers': '*', 'access-control-allow-methods': 'GET, HEAD' }).end();
      return;
    }
    const hf = /^\/hf\/[^/]+\/[^/]+\/resolve\/[^/]+\/(.+)$/.exec(u.pathname);
    if (hf) { res.writeHead(302, { location: `/m/${hf[1]}${u.search}` }).end(); return; }
    if (u.pathname.startsWith('/m/')) { serveModel(req, res, u, file, once); return; }
    staticFile(root, u.pathname, res);
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    log,
    reset: () => { log.length = 0; once.clear(); },
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  })));
}

function staticFile(root, path, res) {
  try {
    const bytes = readFileSync(join(root, normalize(decodeURIComponent(path)).replace(/^(\.\.[/\\])+/, '')));
    res.writeHead(200, { 'content-type': MIME[extname(path)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(bytes);
  } catch { res.writeHead(404).end('not found'); }
}

function serveModel(req, res, u, file, once) {
  const q = Object.fromEntries(u.searchParams), num = (k) => (q[k] === undefined ? undefined : Number(q[k]));
  if (q.status) { res.writeHead(Number(q.status), { 'content-type': 'text/plain' }).end(); return; }
  if (q.html) { res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Sign in</title><p>Please sign in to download this model.</p>'); return; }
  let f;
  try { f = file(decodeURIComponent(u.pathname.slice(3))); } catch { res.writeHead(404).end(); return; }
  const size = f.bytes.length, headers = { 'content-type': 'application/octet-stream', etag: f.etag, 'cache-control': 'no-store' };
  let start = 0, end = size;
  const ranged = q.range !== '0' && !(q.range === 'first' && req.headers.range !== 'bytes=0-');
  const m = ranged && /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (q.range !== '0') headers['accept-ranges'] = 'bytes';
  if (m) {
    start = Number(m[1]);
    end = m[2] ? Math.min(Number(m[2]) + 1, size) : size;
    if (start >= size) { res.writeHead(416, { 'content-range': `bytes */${size}` }).end(); return; }
    headers['content-range'] = `bytes ${start}-${end - 1}/${size}`;
  }
  const announced = end - start + (m ? 0 : num('lie') ?? 0);
  if (q.length !== '0') headers['content-length'] = String(announced);
  res.writeHead(m ? 206 : 200, headers);
  // where this response stops early: [cut, destroy?]
  let stop = end, destroy = false, stall = false;
  if (num('dropEvery') !== undefined && start + num('dropEvery') < stop) { stop = start + num('dropEvery'); destroy = true; }
  const short = num('short') ?? (!once.has('short:' + u.pathname) ? num('shortOnce') : undefined);
  if (short !== undefined && end - short < stop) { stop = Math.max(start, end - short); destroy = true; if (q.shortOnce) once.add('short:' + u.pathname); }
  if (num('stall') !== undefined && start + num('stall') < stop) { stop = start + num('stall'); stall = true; }
  if (q.lie && !m) destroy = true;   // it announced more than it has: the connection ends instead
  // a cut closes the connection after the bytes sent so far are flushed (end(), not destroy(), which would drop them)
  // drop=N: cut where the bytes actually sent reach N (a response the client stopped reading earlier does not count)
  const drop = num('drop') !== undefined && !once.has('drop:' + u.pathname) ? num('drop') : undefined;
  const cut = (pos, n) => {
    if (drop === undefined || once.has('drop:' + u.pathname) || !(pos < drop && drop <= pos + n)) return n;
    once.add('drop:' + u.pathname);
    destroy = true;
    stop = drop;
    return drop - pos;
  };
  pump(res, f.bytes, start, () => stop, cut, num('slow') ?? 0, () => { if (stall) return; if (destroy) res.socket?.end(); else res.end(); });
}

function pump(res, bytes, pos, stopAt, cut, slowMs, done) {
  const step = () => {
    if (res.destroyed) return;
    if (pos >= stopAt()) { done(); return; }
    const n = cut(pos, Math.min(CHUNK, stopAt() - pos));
    const ok = res.write(bytes.subarray(pos, pos + n));
    pos += n;
    const next = () => (slowMs ? setTimeout(step, slowMs) : setImmediate(step));
    if (ok) next(); else res.once('drain', next);
  };
  if (slowMs) setTimeout(step, slowMs); else step();
}
