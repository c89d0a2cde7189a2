// Loader in Chromium: models from a misbehaving cross-origin server (fault-server.mjs), cached in
// OPFS (or the Cache API when OPFS is unavailable). After every failure the cache must hold no
// entry and no partial data; a second load comes from the cache without a request, also with
// the server gone; a simulated full disk gives QUOTA; PLE outside the heap gives the same tokens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, utimesSync } from 'node:fs';
import { serve } from './server.mjs';
import { faultServer } from './fault-server.mjs';
import { launch, CHROMIUM } from './browser.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = ROOT + 'build/pocketlm';
const DIR = 'build/loader-browser';
const MODEL = `${DIR}/g4.gguf`, SHARDS = `${DIR}/g4split`;
const PROMPT = [2, 300, 301, 302, 303], N = 8;

let browser, pages, models, native, sha, page;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
  mkdirSync(ROOT + DIR, { recursive: true });
  execFileSync(CLI, ['gen', '--model', 'gemma4-e2b-tiny', '--type', 'q4_0', '--seed', '4', '-o', ROOT + MODEL]);
  execFileSync(CLI, ['split', ROOT + MODEL, ROOT + SHARDS, '3']);
  native = execFileSync(CLI, ['run', '-m', ROOT + MODEL, '--tokens', PROMPT.join(','), '-n', String(N), '--temp', '0'], { encoding: 'utf8' })
    .trim().split(',').map(Number);
  sha = createHash('sha256').update(readFileSync(ROOT + MODEL)).digest('hex');
  pages = await serve(ROOT);
  models = await faultServer(ROOT);
  browser = await launch();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  await page.goto(`${pages.url}/tests/browser/page.html`);
  // helpers in the page: load + greedy tokens, and a look at what the cache holds
  await page.evaluate(() => {
    self.tokens = async (source, opts = {}) => {
      const { Engine } = await import('/web/engine.js');
      const { WorkerEngine } = await import('/web/worker-engine.js');
      const { worker = false, ...rest } = opts;
      const e = await (worker ? WorkerEngine : Engine).create();
      const t0 = performance.now();
      try {
        const info = await e.load(source, rest);
        const out = [];
        for await (const t of e.generateTokens([2, 300, 301, 302, 303], { temperature: 0, maxTokens: 8 })) out.push(t);
        return { ok: true, out, info, ms: performance.now() - t0 };
      } catch (err) { return { ok: false, code: err.code, name: err.name, message: err.message, detail: err.detail, ms: performance.now() - t0 }; }
      finally { await e.dispose(); }
    };
    self.opfsFiles = async () => {
      const out = {};
      try {
        const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('pocketlm-models');
        for await (const [name, h] of dir.entries()) out[name] = (await h.getFile()).size;
      } catch { /* no directory yet */ }
      return out;
    };
    self.cacheApiKeys = async () => (await (await caches.open('pocketlm-models-v1')).keys()).map((r) => r.url);
    self.api = async (fn, ...args) => (await import('/web/index.js'))[fn](...args);
  });
});

after(async () => {
  await browser?.close();
  await pages?.close();
  await models?.close();
});

const url = (q = '', file = MODEL) => `${models.url}/m/${file}${q ? '?' + q : ''}`;
const tokens = (source, opts) => page.evaluate(([s, o]) => self.tokens(s, o), [source, opts]);
const api = (fn, ...args) => page.evaluate(([f, a]) => self.api(f, ...a), [fn, args]);

// The cache must be empty: no entry listed, no metadata, no data file with bytes in it.
async function cacheEmpty(why) {
  assert.deepEqual(await api('listCachedModels'), [], why);
  const files = await page.evaluate(() => self.opfsFiles());
  for (const [name, size] of Object.entries(files)) assert.ok(name.endsWith('.gguf') && size === 0, `${why}: OPFS holds ${name} (${size} bytes)`);
}

async function clearCache() {
  for (const m of await api('listCachedModels')) await api('deleteCachedModel', m.url);
  await cacheEmpty('after clearing');
}

test('failures never leave a cache entry, and each gives its code in bounded time', async () => {
  const FAST = { retries: 1, timeoutMs: 1500 };
  const cases = [
    ['status=404', 'FETCH'], ['html=1', 'BAD_MAGIC'], ['dropEvery=300000&range=0', 'FETCH'], ['short=5000&range=0', 'FETCH'],
    ['lie=-100&range=0', 'TRUNCATED'], ['stall=200000&range=0', 'FETCH'],
  ];
  for (const [q, code] of cases) {
    const r = await tokens(url(q), { ...FAST, cache: true });
    assert.equal(r.ok, false, q);
    assert.equal(r.code, code, `${q}: ${r.message}`);
    assert.ok(r.ms < 12000, `${q}: ${r.ms} ms`);
    await cacheEmpty(q);
  }
  const bad = await tokens(url(), { cache: true, sha256: '0'.repeat(64) });
  assert.equal(bad.code, 'CORRUPT');
  await cacheEmpty('sha256 mismatch');
  const aborted = await page.evaluate(async (u) => {
    const { Engine } = await import('/web/engine.js');
    const e = await Engine.create(), ctl = new AbortController();
    setTimeout(() => ctl.abort(), 200);
    try { await e.load(u, { signal: ctl.signal, cache: true }); return 'loaded'; } catch (err) { return err.name; } finally { e.dispose(); }
  }, url('slow=10'));
  assert.equal(aborted, 'AbortError');
  await cacheEmpty('abort');
});

test('network faults that are survived give the native tokens and a complete, verified cache entry', async () => {
  for (const q of ['drop=1000000', 'drop=700000&range=0', 'length=0&range=0', 'shortOnce=4000', 'range=first', '']) {
    await clearCache();
    models.reset();
    const r = await tokens(url(q), { cache: true, sha256: sha });
    assert.ok(r.ok, `${q}: ${r.message}`);
    assert.deepEqual(r.out, native, q);
    assert.equal(r.info.source.cached, true, q);
    const list = await api('listCachedModels');
    assert.equal(list.length, 1);
    assert.equal(list[0].url, url(q));
    assert.equal(list[0].size, readFileSync(ROOT + MODEL).length);
    assert.match(list[0].etag, /^"/);
    assert.ok(Math.abs(list[0].cachedAt - Date.now()) < 60000);
  }
});

const onlyProbe = (log) => log.length === 1 && log[0].range === 'bytes=0-0';

test('second load comes from the cache (one 1-byte check, or none when pinned by sha256); a changed file is fetched again', async () => {
  await clearCache();
  const u = url('drop=500000');
  const first = await tokens(u, { cache: true, sha256: sha });
  assert.equal(first.info.source.from, 'network');
  models.reset();
  const second = await tokens(u, { cache: true, worker: true });
  assert.deepEqual(second.out, native);
  assert.equal(second.info.source.from, 'cache');
  assert.ok(onlyProbe(models.log), JSON.stringify(models.log));
  models.reset();
  const pinned = await tokens(u, { cache: true, sha256: sha });
  assert.equal(pinned.info.source.from, 'cache');
  assert.deepEqual(models.log, []);
  // the server's file changes (new ETag): the next load downloads it and replaces the entry
  const t = new Date(Date.now() + 5000);
  utimesSync(ROOT + MODEL, t, t);
  models.reset();
  const changed = await tokens(u, { cache: true });
  assert.equal(changed.info.source.from, 'network');
  assert.equal((await api('listCachedModels')).length, 1);
  models.reset();
  assert.equal((await tokens(u, { cache: true })).info.source.from, 'cache');
  // PLE outside the heap: read per token from the OPFS file, same tokens as inside
  const inHeap = await tokens(u, { cache: true, pleOutOfHeap: false });
  assert.deepEqual(inHeap.out, native);
  assert.ok(second.info.memory.external > 0 && inHeap.info.memory.external === 0);
  assert.equal(await api('deleteCachedModel', u), true);
  assert.equal(await api('deleteCachedModel', u), false);
  await cacheEmpty('after delete');
  models.reset();
  await tokens(u, { cache: true });
  assert.ok(models.log.length > 0, 'after a delete the model is downloaded again');
});

test('gguf-split shards: one cache entry under the first URL, loaded again offline', async () => {
  await clearCache();
  const first = url('', `${SHARDS}-00001-of-00003.gguf`);
  const r = await tokens(first, { cache: true });
  assert.deepEqual(r.out, native);
  assert.equal(r.info.source.shards, 3);
  const list = await api('listCachedModels');
  assert.deepEqual(list.map((m) => m.url), [first]);
  const second = url('', `${SHARDS}-00002-of-00003.gguf`), third = url('', `${SHARDS}-00003-of-00003.gguf`);
  const offline = await faultServerless(() => tokens(second, { cache: true }));
  assert.deepEqual(offline.out, native);
  assert.equal(offline.info.source.from, 'cache');
  assert.equal(await api('deleteCachedModel', third), true);   // any shard's URL names the entry
});

// Runs fn with the model server stopped, then starts a new one (on a new port: URLs change).
async function faultServerless(fn) {
  await models.close();
  try { return await fn(); } finally { models = await faultServer(ROOT); }
}

test('offline: the server is gone, the cached copy loads; an uncached model is FETCH', async () => {
  await clearCache();
  const u = url();
  assert.ok((await tokens(u, { cache: true })).ok);
  const port = new URL(u).port;
  const r = await faultServerless(() => tokens(u, { cache: true, worker: true }));
  assert.deepEqual(r.out, native);
  const missing = await faultServerless(() => tokens(`http://127.0.0.1:${port}/m/${MODEL}?other=1`, { cache: true, retries: 1 }));
  assert.equal(missing.code, 'FETCH');
  await clearCache();
});

test('not enough storage: QUOTA with the sizes before downloading; { cache: false } still runs', async () => {
  await clearCache();
  const p2 = await browser.context.newPage();
  try {
    // Chromium reports a fixed estimate() to pages; simulate a nearly full disk where the loader asks
    await p2.addInitScript(() => { StorageManager.prototype.estimate = async () => ({ quota: 1e9, usage: 1e9 - 100000 }); });
    await p2.goto(`${pages.url}/tests/browser/page.html`);
    models.reset();
    const r = await p2.evaluate(async (u) => {
      const { loadModel } = await import('/web/index.js');
      try { await loadModel(u, { worker: false }); return { ok: true }; } catch (e) { return { code: e.code, detail: e.detail, message: e.message }; }
    }, url());
    assert.equal(r.code, 'QUOTA', r.message);
    assert.equal(r.detail.needed, readFileSync(ROOT + MODEL).length);
    assert.equal(r.detail.available, 100000);
    assert.ok(models.log.length <= 1, 'QUOTA comes before the download');
    await cacheEmpty('quota');
    const mem = await p2.evaluate(async (u) => {
      const { loadModel } = await import('/web/index.js');
      const lm = await loadModel(u, { worker: false, cache: false });
      const info = lm.info;
      await lm.dispose();
      return info;
    }, url());
    assert.equal(mem.source.cached, false);
  } finally { await p2.close(); }
});

test('storage that fills up during the download: the model still loads, nothing is cached', async () => {
  await clearCache();
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: pages.url, quotaSize: 500000 });   // writes fail past this
  try {
    const r = await tokens(url(), { cache: true, worker: true });
    assert.deepEqual(r.out, native, r.message);
    assert.equal(r.info.source.cached, false);
    await cacheEmpty('quota exceeded while writing');
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: pages.url });
    await cdp.detach();
  }
});

test('without OPFS the Cache API holds the model: complete entries only, loaded without a request', async () => {
  await clearCache();
  const p2 = await browser.context.newPage();
  try {
    await p2.addInitScript(() => { delete StorageManager.prototype.getDirectory; });
    await p2.goto(`${pages.url}/tests/browser/page.html`);
    const run = (u, o) => p2.evaluate(async ([u, o]) => {
      const { Engine } = await import('/web/engine.js');
      const e = await Engine.create();
      try {
        const info = await e.load(u, o);
        const out = [];
        for await (const t of e.generateTokens([2, 300, 301, 302, 303], { temperature: 0, maxTokens: 8 })) out.push(t);
        return { out, info };
      } catch (err) { return { code: err.code, message: err.message }; } finally { e.dispose(); }
    }, [u, o]);
    const keys = () => p2.evaluate(async () => (await (await caches.open('pocketlm-models-v1')).keys()).map((r) => r.url));
    const fail = await run(url('short=5000&range=0'), { retries: 1, timeoutMs: 1500 });
    assert.equal(fail.code, 'FETCH');
    assert.deepEqual(await keys(), []);
    const r = await run(url(), {});
    assert.deepEqual(r.out, native);
    assert.equal(r.info.source.cached, true);
    assert.deepEqual(await keys(), [url()]);
    models.reset();
    const again = await run(url(), {});
    assert.deepEqual(again.out, native);
    assert.equal(again.info.source.from, 'cache');
    assert.ok(onlyProbe(models.log), JSON.stringify(models.log));
    assert.deepEqual((await p2.evaluate(async () => (await import('/web/index.js')).listCachedModels())).map((m) => m.url), [url()]);
    assert.equal(await p2.evaluate(async (u) => (await import('/web/index.js')).deleteCachedModel(u), url()), true);
    assert.deepEqual(await keys(), []);
  } finally { await p2.close(); }
});
