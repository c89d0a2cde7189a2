// sw.js — the demo's service worker (loaded by /sw.js, whose scope is the site root):
//  1. App shell offline: at install it caches the demo page and everything it loads — found by
//     following the import graph of demo/app.js through the package (web/) into dist/, so a new
//     file in web/ needs no list here — plus the built-in model app.js names. demo/, web/ and dist/
//     are then served network-first (always fresh online, cached copy offline); models/ cache-first.
//  2. Versioned: one cache per VERSION; older pocketlm-demo-* caches are deleted on activation.
//     Models a person downloads are cached by the library under its own names and never touched.
//  3. Cross-origin isolation shim: every response it serves gets COOP/COEP, so the page and the
//     package's Workers are cross-origin isolated (threads) even on static hosts that cannot send
//     those headers. COEP is require-corp (Safari has no credentialless).
/* eslint-env serviceworker */
const VERSION = 'v1';
const PREFIX = 'pocketlm-demo-';
const SHELL = PREFIX + VERSION;
const ROOT = new URL(self.registration.scope);                 // where demo/, web/, dist/, models/ live
const APP_DIRS = ['demo/', 'web/', 'dist/'];                   // network-first, kept for offline
const MODEL_DIR = 'models/';                                   // cache-first (files are immutable by name)
const ENTRIES = ['demo/', 'demo/app.js'];                      // the crawl starts here
// Loaded by code the crawl cannot read (Emscripten's locateFile); missing ones are skipped.
const EXTRA = ['dist/pocketlm.wasm', 'dist/pocketlm-mt.wasm', 'dist/pocketlm-mt.worker.js', 'dist/pocketlm-relaxed.wasm'];
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const NETWORK_WAIT_MS = 4000;                                   // then a cached copy is served instead

// What a file refers to: HTML src/href, manifest icons, JS imports (relative specifiers only) and
// new URL('…', import.meta.url) (also bare names: Emscripten writes new URL("pocketlm.wasm", …)).
const REFS = {
  html: [[/\s(?:src|href)="([^"#]+)"/g, true]],
  js: [[/(?:^|[\s;}])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]/g, false], [/(?:^|[\s;}])import\s*['"]([^'"]+)['"]/g, false],
       [/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, false], [/\bnew URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g, true]],
  webmanifest: [[/"src"\s*:\s*"([^"]+)"/g, true]],
};

const inApp = (url, dirs) => url.origin === ROOT.origin && dirs.some((d) => url.href.startsWith(ROOT.href + d));

function kindOf(url) {
  const p = url.pathname;
  if (p.endsWith('/') || p.endsWith('.html')) return 'html';
  if (p.endsWith('.js') || p.endsWith('.mjs')) return 'js';
  if (p.endsWith('.webmanifest')) return 'webmanifest';
  return '';
}

// Fetches and caches one file; returns the URLs it refers to.
async function cacheOne(cache, url) {
  const res = await fetch(url, { cache: 'no-cache' });
  if (!res.ok) throw new Error(`${url.href}: HTTP ${res.status}`);
  const kind = kindOf(url);
  await cache.put(url, res.clone());
  if (!kind) return [];
  const text = await res.text(), out = [];
  for (const [re, bare] of REFS[kind]) for (const m of text.matchAll(re)) {
    const ref = m[1];
    if (!bare && !/^\.{0,2}\//.test(ref)) continue;                                   // 'pocketlm' in a doc comment
    if (/^[a-z][a-z0-9+.-]*:/i.test(ref) && !ref.startsWith(ROOT.origin)) continue;   // node:fs, https://…
    out.push(new URL(ref, url));
  }
  return out;
}

// Breadth-first over the references, one level at a time in parallel (a few round trips, not one
// per file). Entries must be cached; what the crawl finds (and EXTRA) is cached when it exists.
async function precache() {
  const cache = await caches.open(SHELL);
  let level = [...ENTRIES.map((p) => ({ url: new URL(p, ROOT), required: true })),
               ...EXTRA.map((p) => ({ url: new URL(p, ROOT), required: false }))];
  const seen = new Set(), failed = [];
  while (level.length && seen.size < 200) {
    const todo = level.filter(({ url }) => { url.hash = ''; return !seen.has(url.href) && inApp(url, [...APP_DIRS, MODEL_DIR]) && seen.add(url.href); });
    const results = await Promise.allSettled(todo.map(({ url }) => cacheOne(cache, url)));
    level = [];
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') level.push(...r.value.map((url) => ({ url, required: false })));
      else if (todo[i].required) failed.push(r.reason?.message ?? String(r.reason));
    });
  }
  if (failed.length) throw new Error(`pocketlm demo: not cached: ${failed.join('; ')}`);
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith(PREFIX) && name !== SHELL) await caches.delete(name);
    await self.clients.claim();
  })());
});

/** The same response with COOP/COEP added (opaque responses and redirects cannot be changed). */
function isolated(res) {
  if (res.type === 'opaque' || res.type === 'opaqueredirect' || res.status === 0) return res;
  const headers = new Headers(res.headers);
  for (const [k, v] of Object.entries(ISOLATION)) headers.set(k, v);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

// A cached full response cut to the request's Range (the library's loader may ask for ranges).
async function ranged(res, req) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.get('range') || '');
  if (!m || (!m[1] && !m[2])) return res;
  const blob = await res.blob(), size = blob.size;
  let start = m[1] ? Number(m[1]) : Math.max(0, size - Number(m[2]));
  let end = m[1] && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  if (start >= size || start > end) return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${size}` } });
  const headers = new Headers(res.headers);
  headers.set('Content-Range', `bytes ${start}-${end}/${size}`);
  headers.set('Content-Length', String(end - start + 1));
  return new Response(blob.slice(start, end + 1), { status: 206, statusText: 'Partial Content', headers });
}

async function cached(req) {
  const cache = await caches.open(SHELL);
  return (await cache.match(req, { ignoreSearch: true, ignoreVary: true }))
    ?? (req.mode === 'navigate' ? cache.match(new URL('demo/', ROOT)) : undefined);
}

// Network first: a fresh copy refreshes the cache; after NETWORK_WAIT_MS or a network failure the
// cached copy is served (offline), otherwise the network's answer or error stands.
async function networkFirst(req) {
  const net = fetch(req).then(async (res) => {
    if (res.status === 200 && res.type === 'basic' && !req.headers.has('range')) {
      const copy = res.clone();
      caches.open(SHELL).then((c) => c.put(req, copy)).catch(() => {});
    }
    return res;
  });
  const timer = new Promise((r) => setTimeout(r, NETWORK_WAIT_MS, 'timeout'));
  const first = await Promise.race([net.catch(() => 'failed'), timer]);
  if (first instanceof Response) return first;
  const hit = await cached(req);
  if (hit) { net.catch(() => {}); return ranged(hit, req); }
  return net;
}

async function cacheFirst(req) {
  const hit = await cached(req);
  return hit ? ranged(hit, req) : fetch(req);
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (inApp(url, [MODEL_DIR])) { event.respondWith(cacheFirst(req).then(isolated)); return; }
  if (!inApp(url, APP_DIRS)) return;                          // other pages on this origin: untouched
  event.respondWith(networkFirst(req).then(isolated));
});
