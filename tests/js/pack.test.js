// The npm package as a user gets it: `npm pack`, install the tarball into a fresh project
// (offline: the package has no dependencies), import 'pocketlm' in Node and, through an import
// map, in a Chromium page; both generate the same text as the repository's sources.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import { loadModel } from '../../web/index.js';
import { serve } from '../browser/server.mjs';
import { launch } from '../browser/browser.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const DIR = ROOT + 'build/pack/', APP = DIR + 'app/';
const OPTS = { temperature: 0, maxTokens: 16 };
let expected;

before(async () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(APP, { recursive: true });
  execFileSync('npm', ['pack', '--pack-destination', DIR, '--silent'], { cwd: ROOT, stdio: 'pipe' });
  const tgz = readdirSync(DIR).find((f) => f.endsWith('.tgz'));
  writeFileSync(APP + 'package.json', JSON.stringify({ name: 'app', type: 'module', private: true, dependencies: { pocketlm: `file:../${tgz}` } }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent'], { cwd: APP, stdio: 'pipe' });
  execFileSync(ROOT + 'build/pocketlm', ['gen', '--model', 'gemma4-e2b-tiny', '--type', 'q4_0', '--seed', '21', '-o', APP + 'model.gguf']);
  const lm = await loadModel(APP + 'model.gguf');
  expected = await lm.generate([{ role: 'user', content: 'hi there' }], OPTS);
  await lm.dispose();
  assert.ok(expected.length > 0);
});

after(() => rmSync(DIR, { recursive: true, force: true }));

test('the installed package works in Node', () => {
  writeFileSync(APP + 'main.mjs', `import { loadModel } from 'pocketlm';
const lm = await loadModel(new URL('./model.gguf', import.meta.url).pathname);
process.stdout.write(JSON.stringify(await lm.generate([{ role: 'user', content: 'hi there' }], ${JSON.stringify(OPTS)})));
await lm.dispose();`);
  const out = execFileSync(process.execPath, ['main.mjs'], { cwd: APP, encoding: 'utf8' });
  assert.equal(JSON.parse(out), expected);
});

test('the installed package works in a Chromium page', async () => {
  writeFileSync(APP + 'index.html', `<!doctype html><meta charset="utf-8">
<script type="importmap">{ "imports": { "pocketlm": "/node_modules/pocketlm/web/index.js" } }</script>
<script type="module">
  import { loadModel } from 'pocketlm';
  const lm = await loadModel('/model.gguf');
  window.result = await lm.generate([{ role: 'user', content: 'hi there' }], ${JSON.stringify(OPTS)});
</script>`);
  const server = await serve(APP), browser = await launch();
  try {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url + '/index.html');
    await page.waitForFunction(() => typeof window.result === 'string', null, { timeout: 60000 });
    assert.equal(await page.evaluate(() => window.result), expected);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.close();
  }
});
