// browser-pair.mjs — models side by side in headless Chromium (the shipped dist/ builds, one thread,
// in-page Engine): wasm heap after load, prefill and decode tok/s from the engine's own timers
// (Model.stats), per build, models alternating round by round, fresh page per run. For models
// bench/run.mjs cannot take (it builds prompts with llama.cpp, which does not read GGUF-M).
// Wall-clock rates: on a shared VM run bench/cpu.mjs beside it for CPU-time rates.
//
//   node bench/browser-pair.mjs A.gguf B.gguf ... [--rounds 3] [--prefill 128] [--decode 32] [--ctx 1024] [--builds simd128,relaxed]
//   (model paths inside the repository: they are served from it on 127.0.0.1; or ID:TYPE of
//    bench/models.mjs, generated when missing, e.g. gemma4-e2b-L5:q4_0 gemma4-e2b-L5-mobile:mobile)
import { relative, resolve } from 'node:path';
import { loadavg } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { serve } from '../tests/browser/server.mjs';
import { launch } from '../tests/browser/browser.mjs';
import { modelFiles } from './models.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args.splice(i, 2)[1] : def; };
const rounds = Number(opt('--rounds', 3)), nPrefill = Number(opt('--prefill', 128)), nDecode = Number(opt('--decode', 32));
const builds = opt('--builds', 'simd128,relaxed').split(','), nCtx = Number(opt('--ctx', 1024));
const models = modelFiles(args).map((f) => relative(ROOT, resolve(f)));
const PROMPT = [2, ...Array.from({ length: nPrefill - 1 }, (_, i) => 300 + (i * 7919) % 3000)];
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// CPU seconds used so far by the Chromium processes this script started (descendants of this
// process; utime + stime from /proc, clock ticks of 10 ms): the renderer running the wasm
// dominates, the rest (browser, GPU, network processes) idles while a prompt runs.
function chromiumCpu() {
  const procs = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1].split(' ');
      procs.set(Number(pid), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch { /* the process ended */ }
  }
  const mine = (pid) => { for (let p = procs.get(pid)?.ppid; p; p = procs.get(p)?.ppid) if (p === process.pid) return true; return false; };
  let ticks = 0;
  for (const [pid, x] of procs) if (mine(pid)) ticks += x.ticks;
  return ticks / 100;
}

const server = await serve(ROOT), browser = await launch();
const results = new Map();
try {
  for (let r = 0; r < rounds; r++)
    for (const build of builds)
      for (const file of models) {
        const page = await browser.context.newPage();
        await page.goto(`${server.url}/tests/browser/page.html`);
        const x = await page.evaluate(async ({ file, build, nCtx }) => {
          const { Engine } = await import('/web/engine.js');
          globalThis.e = await Engine.create({ build });
          const info = await globalThis.e.load(`/${file}`, { contextSize: nCtx, cache: false });
          return { heap: info.memory.heap, weights: info.memory.weights, external: info.memory.external, build: info.build };
        }, { file, build, nCtx });
        // prefill alone (the prompt and one sampled token), then the same prompt again, which reuses
        // all but its last token from the cache, and nDecode more tokens
        const gen = (maxTokens) => page.evaluate(async ({ prompt, maxTokens }) => {
          for await (const t of globalThis.e.generateTokens(prompt, { temperature: 0, maxTokens })) void t;
          return globalThis.e.stats;
        }, { prompt: PROMPT, maxTokens });
        // (the second run's CPU time covers nDecode + 1 forward passes: the re-decoded last prompt token too)
        await page.evaluate(async () => { for await (const t of globalThis.e.generateTokens([3, 4, 5, 6, 7, 8, 9, 10], { temperature: 0, maxTokens: 2 })) void t; });   // warm-up: wasm tier-up
        const c0 = chromiumCpu(), p = await gen(1), c1 = chromiumCpu(), d = await gen(nDecode + 1), c2 = chromiumCpu();
        Object.assign(x, { prefill: nPrefill / (p.prefillMs / 1e3), decode: nDecode / (d.decodeMs / 1e3),
                           prefillCpu: nPrefill / (c1 - c0), decodeCpu: (nDecode + 1) / (c2 - c1) });
        await page.evaluate(() => globalThis.e.dispose());
        await page.close();
        const key = `${file} ${x.build}`;
        if (!results.has(key)) results.set(key, { file, ...x, runs: [] });
        results.get(key).runs.push(x);
      }
} finally {
  await browser.close();
  await server.close();
}
const MiB = 2 ** 20, f = (v, k = 2) => v.toFixed(k);
console.log(`Chromium, 1 thread, prefill ${nPrefill} tokens, decode ${nDecode}, context ${nCtx}, ${rounds} rounds (medians); load average ${f(loadavg()[0])}`);
console.log('| model | build | heap MiB | weights in heap MiB | outside MiB | prefill tok/s (wall) | prefill tok/s (CPU) | decode tok/s (wall) | decode tok/s (CPU) |');
console.log('|---|---|--:|--:|--:|--:|--:|--:|--:|');
const med = (x, k) => f(median(x.runs.map((r) => r[k])));
for (const x of results.values())
  console.log(`| ${x.file.split('/').pop()} | ${x.build} | ${f(x.heap / MiB, 1)} | ${f(x.weights / MiB, 1)} | ${f(x.external / MiB, 1)} | ` +
              `${med(x, 'prefill')} | ${med(x, 'prefillCpu')} | ${med(x, 'decode')} | ${med(x, 'decodeCpu')} |`);
