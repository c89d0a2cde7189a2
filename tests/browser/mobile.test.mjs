// GGUF-M (per-channel q2_c/q4_c/i8 weights, static activation scales) in Chromium: the relaxed-SIMD
// build (picked by feature detection) and the SIMD128 build give the native CLI's greedy tokens,
// prefill in batches (the per-channel tiles of several tokens) and decode alike, with the f16 and
// the int8 KV cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { serve } from './server.mjs';
import { launch } from './browser.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = ROOT + 'build/pocketlm';
const FILE = 'build/browser-mobile.gguf';
const PROMPT = [2, ...Array.from({ length: 39 }, (_, i) => 260 + (i * 37) % 250)];
let server, browser;

before(async () => {
  execFileSync(CLI, ['gen', '--model', 'gemma4-e2b-tiny', '--type', 'f32', '--seed', '9', '-o', ROOT + 'build/browser-mobile-f32.gguf']);
  writeFileSync(ROOT + 'build/browser-mobile-calib.txt', PROMPT.join(' '));
  execFileSync(CLI, ['quantize', '--mobile', ROOT + 'build/browser-mobile-f32.gguf', ROOT + FILE, '--calib-tokens', ROOT + 'build/browser-mobile-calib.txt']);
  server = await serve(ROOT);
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.close(); });

const native = (kv) => execFileSync(CLI, ['run', '-m', ROOT + FILE, '--tokens', PROMPT.join(','), '-n', '16', '--temp', '0', '--kv', kv],
  { encoding: 'utf8' }).trim().split(',').map(Number);

for (const build of ['relaxed', 'simd128'])
  for (const kvCache of ['f16', 'q8'])
    test(`GGUF-M, ${build} build, ${kvCache} KV cache: greedy tokens equal the native CLI`, async () => {
      const want = native(kvCache);
      const page = await browser.context.newPage();
      await page.goto(`${server.url}/tests/browser/page.html`);
      const r = await page.evaluate(async ({ file, prompt, build, kvCache }) => {
        const { Engine } = await import('/web/engine.js');
        const e = await Engine.create(build === 'simd128' ? { build } : {});
        const info = await e.load(`/${file}`, { kvCache, batchSize: 16 });
        const out = [];
        for await (const t of e.generateTokens(prompt, { temperature: 0, maxTokens: 16 })) out.push(t);
        return { out, build: info.build, types: info.tensorTypes };
      }, { file: FILE, prompt: PROMPT, build, kvCache });
      await page.close();
      assert.equal(r.build, build);
      assert.ok(r.types.q2_c > 0 && r.types.q4_c > 0, JSON.stringify(r.types));
      assert.deepEqual(r.out, want.slice(0, r.out.length));
      assert.ok(r.out.length > 0);
    });
