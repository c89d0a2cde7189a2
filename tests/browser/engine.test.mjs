// Browser tests: Debian Chromium (playwright-core) loads pages from 127.0.0.1; the package's
// engines run a generated gemma4 model and must produce the native CLI's greedy tokens, in-thread
// and in a Worker, with and without cross-origin isolation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { serve } from './server.mjs';
import { launch, CHROMIUM } from './browser.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = ROOT + 'build/pocketlm';
const PROMPT = [2, 300, 301, 302, 303];
const MODELS = {
  gemma4: { preset: 'gemma4-e2b-tiny', type: 'f16' },
  q4_0: { preset: 'gemma4-e2b-tiny', type: 'q4_0' },
};

let browser, servers = {};
const native = {};

before(async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  for (const [name, m] of Object.entries(MODELS)) {
    const file = `build/browser-${name}.gguf`;
    execFileSync(CLI, ['gen', '--model', m.preset, '--type', m.type, '--seed', '5', '-o', ROOT + file]);
    native[name] = { file, tokens: execFileSync(CLI, ['run', '-m', ROOT + file, '--tokens', PROMPT.join(','), '-n', '16', '--temp', '0'], { encoding: 'utf8' }).trim().split(',').map(Number) };
  }
  servers.plain = await serve(ROOT);
  servers.isolated = await serve(ROOT, { isolated: true });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  for (const s of Object.values(servers)) await s.close();
});

async function greedyInPage(server, file, useWorker, threads = 1) {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${server.url}/tests/browser/page.html`);
    return await page.evaluate(async ({ file, prompt, useWorker, threads }) => {
      const { Engine } = await import('/web/engine.js');
      const { WorkerEngine } = await import('/web/worker-engine.js');
      const e = await (useWorker ? WorkerEngine : Engine).create({ threads });
      const info = await e.load(`/${file}`);
      const out = [];
      for await (const t of e.generateTokens(prompt, { temperature: 0, maxTokens: 16 })) out.push(t);
      await e.dispose();
      return { out, isolated: self.crossOriginIsolated, threads: info.threads };
    }, { file, prompt: PROMPT, useWorker, threads });
  } finally {
    await page.close();
    assert.deepEqual(errors, []);
  }
}

for (const name of Object.keys(MODELS)) {
  for (const useWorker of [false, true]) {
    test(`${name}: greedy tokens in Chromium (${useWorker ? 'Worker' : 'in-thread'}) equal the native CLI`, async () => {
      const r = await greedyInPage(servers.plain, native[name].file, useWorker);
      assert.deepEqual(r.out, native[name].tokens.slice(0, r.out.length));
      assert.ok(r.out.length > 0);
    });
  }
  test(`${name}: cross-origin isolated page gives the same tokens, also with the threads build`, async () => {
    const r = await greedyInPage(servers.isolated, native[name].file, true);
    assert.equal(r.isolated, true);
    assert.deepEqual(r.out, native[name].tokens.slice(0, r.out.length));
    for (const useWorker of [true, false]) {
      const mt = await greedyInPage(servers.isolated, native[name].file, useWorker, 2);
      assert.equal(mt.threads, 2);
      assert.deepEqual(mt.out, r.out);
    }
  });
  test(`${name}: without isolation a threads request falls back to the single-thread build`, async () => {
    const r = await greedyInPage(servers.plain, native[name].file, true, 2);
    assert.equal(r.threads, 1);
    assert.deepEqual(r.out, native[name].tokens.slice(0, r.out.length));
  });
}
