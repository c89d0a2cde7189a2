// cpu.mjs — prefill and decode rates of models in Node (dist/ SIMD128 build, one thread, in this
// thread) measured in CPU time as well as wall time: on a shared VM the wall clock also counts the
// time other jobs hold the CPU, the process's CPU time (process.cpuUsage) does not. Models run
// alternately, round by round; medians are printed with the wasm heap after load. Used for
// docs/BENCHMARKS.md "Mobile format (GGUF-M) vs Q4_0".
//
//   node bench/cpu.mjs A.gguf B.gguf ... [--rounds 3] [--prefill 128] [--decode 32] [--ctx 1024] [--kv f16|q8]
//   (or ID:TYPE of bench/models.mjs, generated when missing, e.g. gemma4-e2b-L5-mobile:mobile)
import { Engine } from '../web/engine.js';
import { statSync } from 'node:fs';
import { modelFiles } from './models.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args.splice(i, 2)[1] : def; };
const rounds = Number(opt('--rounds', 3)), nPrefill = Number(opt('--prefill', 128)), nDecode = Number(opt('--decode', 32));
const nCtx = Number(opt('--ctx', 1024)), kvCache = opt('--kv', 'f16');
const models = modelFiles(args);
if (!models.length) { console.error('usage: node bench/cpu.mjs MODEL.gguf... [--rounds N] [--prefill N] [--decode N] [--ctx N] [--kv f16|q8]'); process.exit(2); }
const PROMPT = [2, ...Array.from({ length: nPrefill - 1 }, (_, i) => 300 + (i * 7919) % 3000)];

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// One measured run: prefill (tokens per CPU and wall second), then greedy decode. A one-token
// prompt with another first token first empties the cache (no prefix reuse between rounds).
async function run(e) {
  for await (const t of e.generateTokens([3], { temperature: 0, maxTokens: 1 })) void t;
  let c0 = cpuMs(), w0 = performance.now(), c1, w1, n = 0;
  for await (const t of e.generateTokens(PROMPT, { temperature: 0, maxTokens: nDecode + 1 })) {
    if (n++ === 0) { c1 = cpuMs(); w1 = performance.now(); }   // the first token comes right after prefill
    void t;
  }
  const c2 = cpuMs(), w2 = performance.now(), d = n - 1;
  return { prefillCpu: nPrefill / ((c1 - c0) / 1e3), prefillWall: nPrefill / ((w1 - w0) / 1e3),
           decodeCpu: d / ((c2 - c1) / 1e3), decodeWall: d / ((w2 - w1) / 1e3), tokens: n };
}

const engines = [];
for (const file of models) {
  const e = await Engine.create();
  const info = await e.load(file, { contextSize: nCtx, kvCache });
  engines.push({ file, e, info, runs: [] });
}
for (let r = 0; r < rounds; r++) for (const x of engines) x.runs.push(await run(x.e));
console.log(`prefill ${nPrefill} tokens, decode ${nDecode}, context ${nCtx}, KV ${kvCache}, ${rounds} rounds (medians); load average ${(await import('node:os')).loadavg()[0].toFixed(2)}`);
console.log('| model | file MB | heap MiB | weights in heap MiB | outside MiB | prefill tok/s (CPU) | prefill tok/s (wall) | decode tok/s (CPU) | decode tok/s (wall) |');
console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|');
const MB = 1e6, MiB = 2 ** 20, f = (x, k = 1) => x.toFixed(k);
for (const x of engines) {
  const m = x.info.memory, col = (k) => f(median(x.runs.map((r) => r[k])), 2);
  console.log(`| ${x.file.split('/').pop()} | ${f(statSync(x.file).size / MB)} | ${f(m.heap / MiB)} | ${f(m.weights / MiB)} | ${f(m.external / MiB)} | ` +
              `${col('prefillCpu')} | ${col('prefillWall')} | ${col('decodeCpu')} | ${col('decodeWall')} |`);
}
for (const x of engines) x.e.dispose();
