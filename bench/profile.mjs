// profile.mjs — where pocketlm's time goes in Chromium: a sampling profile (Chrome DevTools
// Protocol) of prefill and of decode, summed by wasm function (self time). The engine is not
// changed: the same sources are linked once more with --profiling-funcs (function names kept)
// into build/bench/prof/, beside a copy of web/, and the page imports that copy.
//
//   node bench/profile.mjs [MODEL.gguf] [--prompt N] [--decode N] [--top N]
// Default model: the E2B-shaped Q4_0 file bench/run.mjs generates.
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '../tests/browser/server.mjs';
import { launch } from '../tests/browser/browser.mjs';
import { ROOT } from './models.mjs';

const { values: args, positionals } = parseArgs({ allowPositionals: true, options: {
  prompt: { type: 'string' }, decode: { type: 'string' }, top: { type: 'string' } } });
const MODEL = positionals[0] ?? join(ROOT, 'build', 'bench', 'models', 'gemma4-e2b-L5-q4_0.gguf');
const PROMPT = Number(args.prompt ?? 128), DECODE = Number(args.decode ?? 16), TOP = Number(args.top ?? 15);
const PROF = join(ROOT, 'build', 'bench', 'prof');

// The Makefile's own emcc line for dist/ (no flags copied here), re-aimed at build/bench/prof/dist.
function buildProfiled() {
  const line = execFileSync('make', ['-s', '-B', '-n', 'dist/pocketlm.mjs'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n').find((l) => /\bemcc\b.*-o dist\/pocketlm\.mjs/.test(l));
  if (!line) throw new Error('cannot find the emcc line of dist/pocketlm.mjs in `make -n`');
  mkdirSync(join(PROF, 'dist'), { recursive: true });
  const cmd = line.replace('-o dist/pocketlm.mjs', `-o ${relative(ROOT, join(PROF, 'dist', 'pocketlm.mjs'))} --profiling-funcs`);
  execFileSync('sh', ['-c', cmd], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NODE_PATH: process.env.NODE_PATH ?? '/usr/share/nodejs' } });
  cpSync(join(ROOT, 'web'), join(PROF, 'web'), { recursive: true });
}

// self time (ms) per function name over a CDP profile
function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const t = new Map();
  profile.samples.forEach((id, i) => {
    const n = byId.get(id), name = n.callFrame.functionName || `(${n.callFrame.url ? 'anonymous' : 'program'})`;
    t.set(name, (t.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...t.entries()].sort((a, b) => b[1] - a[1]);
}

function print(title, rows) {
  const total = rows.reduce((s, [, v]) => s + v, 0);
  console.log(`\n${title}: ${total.toFixed(0)} ms sampled`);
  for (const [name, v] of rows.slice(0, TOP)) console.log(`  ${((v / total) * 100).toFixed(1).padStart(5)}%  ${v.toFixed(0).padStart(7)} ms  ${name}`);
}

if (!existsSync(MODEL)) { console.error(`profile: ${MODEL} is missing (run bench/run.mjs once, or pass a model)`); process.exit(1); }
buildProfiled();
const server = await serve(ROOT);
const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}/bench/page.html`);
  const url = '/' + relative(ROOT, MODEL), engineUrl = '/' + relative(ROOT, join(PROF, 'web', 'engine.js'));
  await page.evaluate(async ([u, e]) => {
    const { Engine } = await import(e);
    globalThis.eng = await Engine.create({ build: 'simd128' });   // the build profiled here
    await globalThis.eng.load(await (await fetch(u)).blob(), { contextSize: 1024 });
    for await (const _ of globalThis.eng.generateTokens([2, 300, 301, 302], { temperature: 0, maxTokens: 2 }));   // warm-up
  }, [url, engineUrl]);
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 250 });   // µs
  const ids = Array.from({ length: PROMPT }, (_, i) => (i ? 300 + (i % 200) : 2));
  for (const [phase, maxTokens] of [['prefill', 1], ['decode', DECODE]]) {
    const prompt = phase === 'prefill' ? ids : [2, 300];
    await cdp.send('Profiler.start');
    const st = await page.evaluate(async ([p, n]) => {
      for await (const _ of globalThis.eng.generateTokens(p, { temperature: 0, maxTokens: n }));
      return globalThis.eng.stats;
    }, [prompt, maxTokens]);
    const { profile } = await cdp.send('Profiler.stop');
    print(`${phase} (${phase === 'prefill' ? `${PROMPT} tokens in ${st.prefillMs.toFixed(0)} ms` : `${st.generatedTokens} tokens in ${st.decodeMs.toFixed(0)} ms`}; ${relative(ROOT, MODEL)})`, selfTimes(profile));
  }
} finally {
  await browser.close();
  await server.close();
}
