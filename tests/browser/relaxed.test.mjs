// The relaxed-SIMD build in Chromium (Node 20's V8 computes relaxed SIMD wrongly, so it is only
// tested here): the kernel parity program (tests/test_kernels.c built with clang-22 and
// -mrelaxed-simd) passes with zero tolerances, the engine picks the relaxed build by feature
// detection, and it produces the native CLI's greedy tokens on Q4_0 and Q6_K models.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { serve } from './server.mjs';
import { launch } from './browser.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = ROOT + 'build/pocketlm';
const PROMPT = [2, 300, 301, 302, 303];
let server, browser;

before(async () => {
  server = await serve(ROOT);
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.close(); });

test('kernel parity (relaxed SIMD vs _ref) passes in Chromium', async () => {
  writeFileSync(ROOT + 'build/relaxed/parity.html', '<!doctype html><meta charset="utf-8"><script src="test_kernels.js"></script>');
  const page = await browser.context.newPage();
  const lines = [];
  page.on('console', (m) => lines.push(m.text()));
  await page.goto(`${server.url}/build/relaxed/parity.html`);
  await page.waitForFunction(() => true);
  const deadline = Date.now() + 120000;
  while (!lines.some((l) => / passed, \d+ failed/.test(l)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await page.close();
  const result = lines.find((l) => / passed, \d+ failed/.test(l));
  assert.ok(result, lines.slice(-5).join('\n'));
  assert.match(result, / 0 failed/);
  assert.ok(lines.includes('kernels: best = simd128'));
});

for (const type of ['q4_0', 'q6_k']) {
  test(`relaxed build: greedy tokens equal the native CLI (${type})`, async () => {
    const file = `build/relaxed-${type}.gguf`;
    execFileSync(CLI, ['gen', '--model', 'gemma4-e2b-tiny', '--type', type, '--seed', '8', '-o', ROOT + file]);
    const native = execFileSync(CLI, ['run', '-m', ROOT + file, '--tokens', PROMPT.join(','), '-n', '16', '--temp', '0'], { encoding: 'utf8' }).trim().split(',').map(Number);
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/tests/browser/page.html`);
    const r = await page.evaluate(async ({ file, prompt }) => {
      const { Engine } = await import('/web/engine.js');
      const e = await Engine.create();
      const info = await e.load(`/${file}`);
      const out = [];
      for await (const t of e.generateTokens(prompt, { temperature: 0, maxTokens: 16 })) out.push(t);
      return { out, build: info.build };
    }, { file, prompt: PROMPT });
    await page.close();
    assert.equal(r.build, 'relaxed');
    assert.deepEqual(r.out, native.slice(0, r.out.length));
  });
}
