// The chat demo (demo/) in Debian's Chromium: what a newcomer does with it, end to end. Each test
// serves the repo root from its own 127.0.0.1 port (its own origin, so service worker, IndexedDB
// and caches start empty) with tools/serve.mjs. Screenshots go to build/demo-screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { serve } from '../../tools/serve.mjs';
import { launch, CHROMIUM } from './browser.mjs';
import { describeError, normalizeModelUrl, RateMeter } from '../../demo/format.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SHOTS = ROOT + 'build/demo-screenshots/';
const BUILTIN = 'models/pocketlm-default.gguf';
const SECOND = 'build/demo-test-second.gguf';          // another model for the URL / file tests
const T = 30_000;                                        // no single wait may take longer
const LIMIT = { timeout: 120_000 };                  // per test: a hang fails, it never stalls `make test`
const PHONE = { width: 390, height: 844 }, DESKTOP = { width: 1280, height: 800 };

let browser, slow;
const servers = [];

before(async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  assert.ok(existsSync(ROOT + BUILTIN), `${BUILTIN} is missing (committed; make train reproduces it)`);
  execFileSync(ROOT + 'build/pocketlm', ['gen', '--model', 'gemma4-e2b-tiny', '--type', 'q8_0', '--seed', '7', '-o', ROOT + SECOND]);
  mkdirSync(SHOTS, { recursive: true });
  slow = await slowServer(readFileSync(ROOT + SECOND));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await slow?.close();
  for (const s of servers) await s.close();
});

async function server(opts) { const s = await serve(ROOT, opts); servers.push(s); return s; }

// Serves one model cross-origin (CORS) in 64 KB pieces every 15 ms (~4 MB/s), so the download
// progress (bytes, rate, time left) is visible.
function slowServer(bytes) {
  const http = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length,
                         'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' });
    let off = 0;
    const tick = () => {
      if (res.destroyed) return;
      if (off >= bytes.length) { res.end(); return; }
      res.write(bytes.subarray(off, off += 64 * 1024));
      setTimeout(tick, 15);
    };
    tick();
  });
  return new Promise((r) => http.listen(0, '127.0.0.1', () => r({
    url: `http://127.0.0.1:${http.address().port}`,
    close: () => new Promise((c) => { http.closeAllConnections(); http.close(() => c()); }),
  })));
}

// A page on the demo with every console error and page error collected (tests assert none).
async function open(s, { viewport = DESKTOP, path = '/demo/' } = {}) {
  const page = await browser.context.newPage();
  await page.setViewportSize(viewport);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()} @ ${m.location().url}`); });
  await page.goto(s.url + path);
  await ready(page);
  return { page, problems };
}

async function ready(page) {   // the model loaded, or the test fails with what the page says
  await page.waitForSelector('body[data-model=ready], #error:not([hidden])', { timeout: T });
  if (await page.getAttribute('body', 'data-model') !== 'ready') assert.fail(`no model: ${await page.textContent('#error')}`);
}
const idle = (page) => page.waitForSelector('body[data-busy=idle] #log li.assistant:last-child:not([aria-busy])', { timeout: T });
const lastReply = (page) => page.locator('#log li.assistant').last();

async function send(page, text) {
  await page.fill('#input', text);
  await page.press('#input', 'Enter');
  await idle(page);
  return lastReply(page).locator('.text').textContent();
}

async function setSettings(page, values) {
  await page.click('#settings-button');
  for (const [k, v] of Object.entries(values)) await page.fill(`#settings [name=${k}]`, String(v));
  await page.click('#settings-dialog .sheet-head button');
}

async function loadUrl(page, url) {
  await page.click('#model-button');
  await page.fill('#model-url', url);
  await page.click('#url-form button[type=submit]');
}

// The built-in model answers in one verse and ends its turn; the random-weight second model rarely
// ends one, so its replies run long enough to be stopped mid-way.
async function useSecond(page, s) {
  await loadUrl(page, `${s.url}/${SECOND}`);
  await page.waitForFunction(() => document.getElementById('model-name').textContent === 'demo-test-second.gguf' &&
    document.body.dataset.model === 'ready', null, { timeout: T });
}

const libraryCaches = (page) => page.evaluate(async () => typeof (await import('/web/index.js')).listCachedModels === 'function');

test('format: every error code a person can meet has a title, a hint and actions; URLs and rates', () => {
  for (const code of ['FETCH', 'QUOTA', 'TOO_LARGE', 'NOMEM', 'BAD_MAGIC', 'UNSUPPORTED_ARCH', 'UNSUPPORTED_TYPE', 'TRUNCATED', 'CORRUPT', 'CTX_FULL', 'RUNTIME', 'WORKER']) {
    const d = describeError({ code, message: 'detail' });
    assert.ok(d.title && d.hint && d.actions.length, code);
    assert.equal(d.detail, 'detail');
  }
  assert.deepEqual(describeError({ code: 'QUOTA', message: '' }).actions, ['nocache', 'manage']);
  assert.match(describeError({ code: 'FETCH', message: 'fetching x failed: HTTP 404 Not Found' }).title, /404/);
  assert.equal(describeError(new Error('boom')).code, 'UNKNOWN');
  assert.equal(normalizeModelUrl('https://huggingface.co/google/gemma-4-E2B-it-GGUF/blob/main/gemma-4-E2B-it-Q4_0.gguf'),
               'https://huggingface.co/google/gemma-4-E2B-it-GGUF/resolve/main/gemma-4-E2B-it-Q4_0.gguf');
  assert.equal(normalizeModelUrl('https://example.com/a/blob/b.gguf'), 'https://example.com/a/blob/b.gguf');
  const m = new RateMeter();
  m.add(0, 0); m.add(1e6, 500);
  assert.equal(m.rate, 2e6);
  assert.equal(m.eta(1e6, 3e6), 1);
});

test('first visit: the built-in model loads, says what it is, and a reply streams with stats', LIMIT, async () => {
  const { page, problems } = await open(await server());
  assert.match(await page.textContent('#notice'), /King James Bible/);
  assert.match(await page.textContent('#model-name'), /pocketlm-default/);
  await page.evaluate(() => {   // count DOM updates of the reply while it streams
    window.__updates = 0;
    new MutationObserver(() => window.__updates++).observe(document.getElementById('log'), { subtree: true, childList: true, characterData: true });
  });
  await page.fill('#input', 'Hello! Who are you?');
  await page.press('#input', 'Enter');
  await page.waitForSelector('body[data-busy=generating]', { timeout: T }).catch(() => {});
  await idle(page);
  const reply = await lastReply(page).locator('.text').textContent();
  assert.ok(reply.length > 10, `reply: ${reply}`);
  assert.ok(await page.evaluate(() => window.__updates) > 5, 'the reply arrived in pieces');
  assert.equal(await page.locator('#log li.user .text').textContent(), 'Hello! Who are you?');
  const stats = await page.textContent('#stats');
  for (const re of [/prefill \d+(\.\d)? tok\/s/, /decode \d+(\.\d)? tok\/s/, /first token \d/, /memory .*weights.*KV.*= [\d.]+ MB/]) assert.match(stats, re);
  assert.match(await page.textContent('#env'), /thread.*cross-origin isolated/);
  await page.screenshot({ path: SHOTS + 'desktop-chat.png' });
  await page.click('#model-button');
  await page.screenshot({ path: SHOTS + 'desktop-model-dialog.png' });
  assert.match(await page.textContent('#model-info'), /gemma4/);
  await page.close();
  assert.deepEqual(problems, []);
});

test('keyboard: Shift+Enter adds a line, Enter sends, Esc stops; Stop stops mid-reply; controls are labelled', LIMIT, async () => {
  const s = await server();
  const { page, problems } = await open(s);
  await useSecond(page, s);
  await page.focus('#input');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'input', 'the message box has focus');
  await setSettings(page, { maxTokens: 400 });
  await page.focus('#input');
  await page.keyboard.type('line one');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('line two');
  assert.equal(await page.inputValue('#input'), 'line one\nline two');
  assert.equal(await page.locator('#log li').count(), 0, 'Shift+Enter did not send');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => (document.querySelector('#log li.assistant .text')?.textContent.length ?? 0) > 5, null, { timeout: T });
  await page.keyboard.press('Escape');
  await idle(page);
  assert.equal(await page.locator('#log li.user .text').first().textContent(), 'line one\nline two');
  assert.equal(await lastReply(page).locator('.meta').textContent(), 'stopped');
  assert.match(await page.textContent('#stats'), /stopped after \d+ pieces|reply \d+ tok/);

  // the Stop button, mid-reply
  await page.fill('#input', 'Tell me a long story.');
  await page.press('#input', 'Enter');
  await page.waitForFunction(() => (document.querySelectorAll('#log li.assistant')[1]?.querySelector('.text')?.textContent.length ?? 0) > 5, null, { timeout: T });
  await page.click('#stop');
  await idle(page);
  const text = await lastReply(page).locator('.text').textContent();
  await page.waitForTimeout(300);
  assert.equal(await lastReply(page).locator('.text').textContent(), text, 'nothing arrives after Stop');
  assert.equal(await lastReply(page).locator('.meta').textContent(), 'stopped');
  assert.ok(await page.isVisible('#send') && !(await page.isVisible('#stop')));
  assert.equal(await send(page, 'And now?') !== undefined, true, 'the model is usable after a stop');

  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('button, input, textarea, select, progress')].filter((x) => {
    const name = x.getAttribute('aria-label') || x.labels?.[0]?.textContent || x.getAttribute('aria-labelledby') || x.textContent || x.title;
    return !name?.trim();
  }).map((x) => x.outerHTML.slice(0, 80)));
  assert.deepEqual(unlabelled, []);
  assert.equal(await page.getAttribute('#log', 'role'), 'log');
  await page.close();
  assert.deepEqual(problems, []);
});

test('settings: seed and temperature change the reply; the same seed and settings reproduce it', LIMIT, async () => {
  const { page, problems } = await open(await server());
  const ask = async (settings) => {
    await setSettings(page, { maxTokens: 24, ...settings });
    await page.click('#new-chat');
    return send(page, 'Write a poem about the sea.');
  };
  const a = await ask({ temperature: 0.8, seed: 1 });
  assert.equal(await ask({ temperature: 0.8, seed: 1 }), a, 'same seed, same reply');
  const b = await ask({ temperature: 0.8, seed: 2 });
  assert.notEqual(b, a, 'another seed, another reply');
  const greedy = await ask({ temperature: 0, seed: 3 });
  assert.notEqual(greedy, a);
  assert.equal(await ask({ temperature: 0, seed: 4 }), greedy, 'temperature 0 ignores the seed');
  await page.click('#settings-button');
  await page.fill('#settings [name=topP]', '0');
  assert.equal(await page.getAttribute('#settings [name=topP]', 'aria-invalid'), 'true', 'an out-of-range value is flagged, not used');
  await page.screenshot({ path: SHOTS + 'desktop-settings.png' });
  await page.click('#settings-dialog .sheet-head button');
  await page.close();
  assert.deepEqual(problems, []);
});

test('a long prompt: a progress bar shows while it is read, then the reply streams', LIMIT, async (t) => {
  const { page, problems } = await open(await server());
  await setSettings(page, { maxTokens: 8 });
  await page.evaluate(() => {
    window.__labels = new Set();
    window.__details = [];
    new MutationObserver(() => {
      if (document.getElementById('progress').hidden) return;
      window.__labels.add(document.getElementById('progress-label').textContent);
      window.__details.push(document.getElementById('progress-detail').textContent);
    })
      .observe(document.getElementById('progress'), { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await send(page, 'The quick brown fox jumps over the lazy dog. '.repeat(55));   // 936 tokens of a 1024-token context
  const [, tokens, rate] = /prompt (\d+) tok.*?prefill ([\d.]+) tok\/s/.exec(await page.textContent('#stats'));
  const prefillMs = (Number(tokens) * 1000) / Number(rate);
  const labels = await page.evaluate(() => [...window.__labels]);
  t.diagnostic(`prefill ${Math.round(prefillMs)} ms; progress labels seen: ${labels.join(', ') || 'none'}`);
  if (prefillMs > 450) {
    assert.ok(labels.includes('Reading the prompt'), `prefill took ${prefillMs} ms; progress seen: ${labels}`);
    const counts = (await page.evaluate(() => window.__details)).map((d) => /^(\d+) of (\d+) tokens/.exec(d)).filter(Boolean);
    assert.ok(counts.length > 0 && counts.every((m) => Number(m[2]) === Number(tokens) && Number(m[1]) < Number(tokens)), `progress: ${counts}`);
  }
  assert.ok(await page.isHidden('#progress'), 'the bar is gone once the reply starts');
  // the next turn no longer fits the 512-token context: the oldest turn is left out, visibly
  await setSettings(page, { maxTokens: 64 });
  assert.ok((await send(page, 'And a short question?')).length > 0);
  assert.ok(await page.isHidden('#error'), 'no CTX_FULL');
  assert.equal(await page.locator('#log li.out').count(), 2, 'the first question and its reply are marked');
  assert.match(await page.locator('#log li.out .meta').first().textContent(), /beyond the context window/);
  await page.close();
  assert.deepEqual(problems, []);
});

test('reload: the conversation, system prompt and settings are still there (IndexedDB)', LIMIT, async () => {
  const s = await server();
  const { page, problems } = await open(s);
  await page.click('#system-box summary');
  await page.fill('#system', 'You are a pirate.');
  await setSettings(page, { maxTokens: 20, seed: 42 });
  await send(page, 'first question');
  const reply = await send(page, 'second question');
  assert.match(await page.textContent('#stats'), /reused/, 'the second turn reuses the first turn’s KV cache');
  await page.waitForTimeout(400);                     // the system prompt is saved 300 ms after typing
  await page.reload();
  await ready(page);
  assert.deepEqual(await page.locator('#log li.user .text').allTextContents(), ['first question', 'second question']);
  assert.equal(await lastReply(page).locator('.text').textContent(), reply);
  assert.equal(await page.inputValue('#system'), 'You are a pirate.');
  await page.click('#settings-button');
  assert.equal(await page.inputValue('#settings [name=maxTokens]'), '20');
  assert.equal(await page.inputValue('#settings [name=seed]'), '42');
  await page.click('#settings-dialog .sheet-head button');
  await page.click('#new-chat');
  assert.equal(await page.locator('#log li').count(), 0);
  await page.reload();
  await ready(page);
  assert.equal(await page.locator('#log li').count(), 0, 'New chat is saved too');
  await page.close();
  assert.deepEqual(problems, []);
});

test('a second model from a URL: download progress with rate and time left, then chat with it; saved-models list', LIMIT, async () => {
  const { page, problems } = await open(await server());
  await page.evaluate(() => {
    window.__progress = [];
    const rec = () => window.__progress.push(`${document.getElementById('progress-label').textContent} | ${document.getElementById('progress-detail').textContent}`);
    new MutationObserver(rec).observe(document.getElementById('progress'), { subtree: true, childList: true, characterData: true });
  });
  const url = `${slow.url}/second-model.gguf`;
  await loadUrl(page, url);                            // Esc cancels a download
  await page.waitForFunction(() => /MB of/.test(document.getElementById('progress-detail').textContent), null, { timeout: T });
  await page.keyboard.press('Escape');
  await page.waitForSelector('body[data-model=none]', { timeout: T });
  assert.match(await page.textContent('#notice'), /cancelled/);
  assert.ok(await page.isHidden('#progress'));
  await loadUrl(page, url);
  await page.waitForSelector('body[data-model=loading]', { timeout: T });
  await page.waitForFunction(() => /left/.test(document.getElementById('progress-detail').textContent), null, { timeout: T });
  await page.screenshot({ path: SHOTS + 'desktop-download-progress.png' });
  await ready(page);
  const seen = await page.evaluate(() => window.__progress);
  assert.ok(seen.some((x) => /^Downloading second-model\.gguf \| [\d.]+ [KM]B of [\d.]+ MB · [\d.]+ [KM]B\/s · .* left$/.test(x)), seen.join('\n'));
  assert.equal(await page.textContent('#model-name'), 'second-model.gguf');
  assert.ok(await page.isHidden('#notice'), 'no built-in model notice for a chosen model');
  assert.ok((await send(page, 'Hi')).length > 0);
  if (await libraryCaches(page)) {
    await page.click('#model-button');
    await page.waitForFunction(() => /second-model\.gguf — \d/.test(document.getElementById('cached-list').textContent), null, { timeout: T });
    await page.click('#cached-list button:text("Delete")');
    await page.waitForFunction(() => !/second-model/.test(document.getElementById('cached-list').textContent), null, { timeout: T });
    await page.click('#model-dialog .sheet-head button');
  } else {
    await page.click('#model-button');
    assert.match(await page.textContent('#cached-list'), /unavailable/);
    await page.click('#model-dialog .sheet-head button');
  }
  await page.close();
  assert.deepEqual(problems, []);
});

test('a local file: the picker and drag-and-drop load a model; a non-GGUF file says what is wrong', LIMIT, async () => {
  const { page, problems } = await open(await server());
  const bytes = readFileSync(ROOT + SECOND);
  await page.setInputFiles('#model-file', { name: 'picked.gguf', mimeType: 'application/octet-stream', buffer: bytes });
  await page.waitForFunction(() => document.getElementById('model-name').textContent === 'picked.gguf' && document.body.dataset.model === 'ready', null, { timeout: T });
  assert.ok((await send(page, 'Hi')).length > 0);

  // the same model claiming an architecture pocketlm does not have (every 'gemma4' in the metadata renamed)
  const renamed = Buffer.from(bytes.toString('latin1').replaceAll('gemma4', 'gemmaX'), 'latin1');
  await page.setInputFiles('#model-file', { name: 'other-arch.gguf', mimeType: 'application/octet-stream', buffer: renamed });
  await page.waitForSelector('#error[data-code=UNSUPPORTED_ARCH]', { timeout: T });
  assert.match(await page.textContent('#error-title'), /architecture is not supported/);
  assert.match(await page.textContent('#error-detail'), /gemma4, gemma3 and llama/);

  await page.setInputFiles('#model-file', { name: 'notes.gguf', mimeType: 'text/plain', buffer: readFileSync(ROOT + 'README.md') });
  await page.waitForSelector('#error[data-code=BAD_MAGIC]', { timeout: T });
  assert.match(await page.textContent('#error-title'), /not a GGUF/);
  await page.screenshot({ path: SHOTS + 'desktop-error-not-gguf.png' });
  await page.click('#error-actions button[data-action=builtin]');
  await ready(page);
  assert.match(await page.textContent('#model-name'), /pocketlm-default/);

  await loadUrl(page, `${slow.url}/slow.gguf`);       // a drop while a download runs replaces it
  await page.waitForFunction(() => /MB of/.test(document.getElementById('progress-detail').textContent), null, { timeout: T });
  await page.evaluate(async () => {   // what a drop from the file manager delivers
    const buf = await (await fetch('/build/demo-test-second.gguf')).arrayBuffer();
    const dt = new DataTransfer();
    dt.items.add(new File([buf], 'dropped.gguf'));
    window.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true }));
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await page.waitForFunction(() => document.getElementById('model-name').textContent === 'dropped.gguf' && document.body.dataset.model === 'ready', null, { timeout: T });
  assert.ok(await page.isHidden('#drop'));
  await page.waitForTimeout(300);
  assert.equal(await page.getAttribute('body', 'data-model'), 'ready', 'the replaced download changed nothing');
  assert.ok(await page.isHidden('#error') && await page.isHidden('#progress') && await page.isHidden('#notice'));
  await page.close();
  assert.deepEqual(problems, []);
});

test('errors: a 404 URL, a web page instead of a model and an unreachable server each say what to do; Retry retries', LIMIT, async () => {
  const s = await server();
  const { page, problems } = await open(s);
  await loadUrl(page, `${s.url}/models/no-such-model.gguf`);
  await page.waitForSelector('#error[data-code=FETCH]', { timeout: T });
  assert.match(await page.textContent('#error-title'), /404/);
  assert.deepEqual(await page.locator('#error-actions button').evaluateAll((b) => b.map((x) => x.dataset.action)), ['retry', 'builtin']);
  await page.screenshot({ path: SHOTS + 'desktop-error-404.png' });

  await loadUrl(page, `${s.url}/README.md`);
  await page.waitForSelector('#error[data-code=BAD_MAGIC]', { timeout: T });

  const dead = await serve(ROOT);                      // a server that goes away: a network failure
  const url = `${dead.url}/${BUILTIN}`;
  await dead.close();
  await loadUrl(page, url);
  await page.waitForSelector('#error[data-code=FETCH]', { timeout: T });
  assert.match(await page.textContent('#error-detail'), /Check the URL and your connection/);
  await page.click('#error-actions button[data-action=retry]');
  await page.waitForSelector('body[data-model=loading]', { timeout: T });
  await page.waitForSelector('#error[data-code=FETCH]', { timeout: T });
  await page.click('#error-actions button[data-action=builtin]');
  await ready(page);
  await page.close();
  const expected = (p) => /404|ERR_CONNECTION_REFUSED|Failed to fetch/.test(p);
  assert.deepEqual(problems.filter((p) => !expected(p)), []);
});

// A front for `s` whose web/cache.js reports 1 MB of free storage (Chromium's quota cannot be
// lowered from a test); null when the library has no such function to patch.
function lowStorage(s) {
  const marker = 'export async function freeBytes() {';
  const src = existsSync(ROOT + 'web/cache.js') ? readFileSync(ROOT + 'web/cache.js', 'utf8') : '';
  if (!src.includes(marker)) return null;
  const patched = src.replace(marker, `${marker} return 1e6;`);
  const http = createServer(async (req, res) => {
    if (req.url.startsWith('/web/cache.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript', 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
      res.end(patched);
      return;
    }
    const r = await fetch(s.url + req.url, { headers: req.headers.range ? { range: req.headers.range } : {}, redirect: 'manual' });
    res.writeHead(r.status, Object.fromEntries(r.headers));
    res.end(Buffer.from(await r.arrayBuffer()));
  });
  return new Promise((r) => http.listen(0, '127.0.0.1', () => r({
    url: `http://127.0.0.1:${http.address().port}`,
    close: () => new Promise((c) => { http.closeAllConnections(); http.close(() => c()); }),
  })));
}

test('not enough storage: QUOTA says how much is needed and loads the model without saving it', LIMIT, async (t) => {
  const front = await lowStorage(await server());
  if (!front) { t.skip('this build of the library has no storage check'); return; }
  servers.push(front);
  const { page, problems } = await open(front);
  await loadUrl(page, `${front.url}/${SECOND}`);
  await page.waitForSelector('#error[data-code=QUOTA]', { timeout: T });
  assert.match(await page.textContent('#error-title'), /Not enough storage/);
  assert.match(await page.textContent('#error-detail'), /\d+ bytes of storage|needs [\d.]+ MB/);
  await page.screenshot({ path: SHOTS + 'desktop-error-quota.png' });
  await page.click('#error-actions button[data-action=nocache]');
  await ready(page);
  assert.equal(await page.textContent('#model-name'), 'demo-test-second.gguf');
  assert.ok((await send(page, 'Hi')).length > 0);
  await page.close();
  assert.deepEqual(problems, []);
});

test('served without COOP/COEP: the service worker shim reloads once, then the page is cross-origin isolated and uses threads', LIMIT, async () => {
  const s = await server({ isolated: false });
  const page = await browser.context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  let loads = 0;
  page.on('load', () => loads++);
  await page.goto(s.url + '/demo/');
  await ready(page);
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
  assert.equal(loads, 2, 'one reload');
  const threads = Number(/(\d+) threads?/.exec(await page.textContent('#env'))?.[1]);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  if (existsSync(ROOT + 'dist/pocketlm-mt.mjs') && cores > 1) assert.ok(threads > 1, `threads: ${threads}`);
  assert.ok((await send(page, 'Hi')).length > 0);
  await page.reload();
  await ready(page);
  assert.equal(loads, 3, 'no reload loop');
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
  await page.close();
  assert.deepEqual(problems, []);
});

test('offline after the first visit: with the server gone, the app, the wasm and the models still load and chat', LIMIT, async () => {
  const s = await server();
  const { page, problems } = await open(s);
  await page.waitForFunction(() => /works offline/.test(document.getElementById('env').textContent), null, { timeout: T });
  await send(page, 'Hello online');
  const cached = await libraryCaches(page);
  if (cached) { await loadUrl(page, `${s.url}/${SECOND}`); await ready(page); }
  await s.close();
  await page.reload();
  await ready(page);
  assert.equal(await page.locator('#log li.user .text').first().textContent(), 'Hello online');
  assert.ok((await send(page, 'Hello offline')).length > 0);
  if (cached) {   // the last model was the URL one: it came from the library's cache
    assert.equal(await page.textContent('#model-name'), 'demo-test-second.gguf');
    await page.click('#model-button');
    await page.click('#load-builtin');
    await ready(page);
  }
  assert.match(await page.textContent('#model-name'), /pocketlm-default/);
  assert.ok((await send(page, 'Built-in, offline')).length > 0);
  await page.close();
  assert.deepEqual(problems.filter((p) => !/ERR_CONNECTION_REFUSED|Failed to fetch/.test(p)), []);
});

test('phone-sized screen: nothing overflows sideways, controls stay reachable; screenshots', LIMIT, async () => {
  const { page, problems } = await open(await server(), { viewport: PHONE });
  await setSettings(page, { maxTokens: 48 });
  await send(page, 'Hello from a phone');
  const layout = await page.evaluate(() => {
    const r = (id) => document.getElementById(id).getBoundingClientRect();
    return { scroll: document.documentElement.scrollWidth, width: innerWidth, height: innerHeight,
             input: r('input'), send: r('send'), model: r('model-button'), newChat: r('new-chat') };
  });
  assert.ok(layout.scroll <= layout.width, `page is ${layout.scroll}px wide in a ${layout.width}px screen`);
  for (const k of ['input', 'send', 'model', 'newChat']) {
    const b = layout[k];
    assert.ok(b.left >= 0 && b.right <= layout.width && b.top >= 0 && b.bottom <= layout.height, `${k} is on screen`);
    assert.ok(b.height >= 36, `${k} is big enough to tap`);
  }
  await page.screenshot({ path: SHOTS + 'phone-chat.png' });
  await page.click('#model-button');
  await page.screenshot({ path: SHOTS + 'phone-model-dialog.png' });
  await page.click('#model-dialog .sheet-head button');
  await page.click('#settings-button');
  await page.screenshot({ path: SHOTS + 'phone-settings.png' });
  await page.close();
  assert.deepEqual(problems, []);
});
