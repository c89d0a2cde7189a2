// native.mjs — the native llama.cpp side of the speed benchmark (node-llama-cpp, CPU, 1 thread), in
// its own process so that a different set of llama.cpp binaries can be loaded (BENCH_LLAMA_DIR: a
// folder whose node_modules holds node-llama-cpp; tests/conformance/variant.mjs makes the SSE4.2 one).
// Also the prompt builder: llama.cpp's tokenizer turns text into the token ids all engines get.
//
//   node bench/native.mjs prompts MODEL.gguf letters|english 128,512   → { prompts: [{ target, text, ids }], warmup }
//   node bench/native.mjs run MODEL.gguf SPEC.json                      → { loadMs, cpuVariant, runs: [...] }
// SPEC.json: { nCtx, threads, warmup: { ids, maxTokens }, prompts: [{ ids, maxTokens }] }. Prints JSON on stdout.
// Each run yields { times: [ms from the call to each token], tokens, text, promptTokens, cpu: { start, first,
// end } (process CPU ms) }, as bench/page.js + bench/run.mjs do for the browser engines.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = new URL('..', import.meta.url).pathname;

async function llamaCpp() {
  const dir = process.env.BENCH_LLAMA_DIR || ROOT;
  const lib = await import(pathToFileURL(join(dir, 'node_modules', 'node-llama-cpp', 'dist', 'index.js')).href);
  const llama = await lib.getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, skipDownload: true,
                                     logLevel: lib.LlamaLogLevel.error });
  return { lib, llama };
}

// which libggml-cpu-*.so this process mapped: the CPU variant llama.cpp picked
function cpuVariant() {
  const m = /libggml-cpu-([a-z0-9_]+)\.so/.exec(readFileSync('/proc/self/maps', 'utf8'));
  return m ? m[1] : 'unknown';
}

// ---- prompts ----

const ENGLISH = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. ' +
  'One day, she saw a big, red ball under a tree. She ran to get it, but a small dog got there first. ' +
  'The dog looked at Lily and wagged its tail. Lily smiled and said, "Can we play together?" ';

// Deterministic filler: English for real vocabularies, short lowercase words for the generator's
// synthetic ones (single letters, "▁x" and two-letter pieces; tools/gen.c vocab()).
// Each prompt length gets its own seed, so no prompt is a prefix of another.
function words(kind, n, seed) {
  if (kind === 'english') {
    const w = ENGLISH.trim().split(/\s+/);
    return Array.from({ length: n }, (_, i) => w[(i + seed) % w.length]).join(' ');
  }
  let s = (0x9e3779b9 ^ Math.imul(seed, 0x85ebca6b)) >>> 0 || 1;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  return Array.from({ length: n }, () => {
    const len = 1 + (next() % 3);
    let w = '';
    for (let k = 0; k < len; k++) w += String.fromCharCode(97 + (next() % 26));
    return w;
  }).join(' ');
}

// The text with the most words whose token count (BOS included) is <= target, padded with
// single letters towards target where that lands exactly. The ids are what counts: they are
// recorded and checked against the count wllama reports.
function fit(model, kind, target) {
  const bos = model.tokens.bos !== null && model.tokens.shouldPrependBosToken ? [model.tokens.bos] : [];
  const ids = (text) => [...bos, ...model.tokenize(text)];
  let lo = 1, hi = 2;
  while (ids(words(kind, hi, target)).length <= target) { lo = hi; hi *= 2; }
  while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (ids(words(kind, mid, target)).length <= target) lo = mid; else hi = mid; }
  let text = words(kind, lo, target);
  for (let guard = 0; guard < 16 && ids(text).length < target; guard++) {
    const pad = [' a', ' i', ' o', ' e', ' x', ' z'].map((p) => text + p).find((t) => ids(t).length <= target);
    if (!pad) break;
    text = pad;
  }
  return { target, text, ids: ids(text) };
}

async function prompts(modelPath, kind, targets) {
  const { llama } = await llamaCpp();
  const model = await llama.loadModel({ modelPath, gpuLayers: 0, vocabOnly: true });
  const out = { prompts: targets.map((t) => fit(model, kind, t)), warmup: fit(model, kind, 8) };
  await model.dispose();
  return out;
}

// ---- timed runs ----

async function run(modelPath, spec) {
  const { llama } = await llamaCpp();
  const t0 = performance.now();
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: spec.nCtx, batchSize: 512, threads: spec.threads });
  const loadMs = performance.now() - t0;
  const sequence = context.getSequence();
  const one = async ({ ids, maxTokens }) => {
    await sequence.clearHistory();
    const times = [], tokens = [], cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    const cpu = { start: cpuMs() }, t0 = performance.now();
    for await (const t of sequence.evaluate(ids, { temperature: 0 })) {
      times.push(performance.now() - t0);
      if (tokens.push(t) === 1) cpu.first = cpuMs();
      if (tokens.length >= maxTokens) break;
    }
    cpu.end = cpuMs();
    // textEnds[i]: length of the text of tokens[0..i] (to compare with wllama, which returns text)
    // (detokenized after the prompt, so a leading space survives as it does in wllama's text)
    const textEnds = tokens.map((_, i) => model.detokenize(tokens.slice(0, i + 1), false, ids).length);
    return { times, tokens, cpu, text: model.detokenize(tokens, false, ids), textEnds, promptTokens: ids.length };
  };
  await one(spec.warmup);
  const runs = [];
  for (const p of spec.prompts) runs.push(await one(p));
  const out = { loadMs, cpuVariant: cpuVariant(), threads: spec.threads, maxRssBytes: process.resourceUsage().maxRSS * 1024, runs };
  await context.dispose();
  await model.dispose();
  return out;
}

const [cmd, model, a, b] = process.argv.slice(2);
let result;
if (cmd === 'prompts') result = await prompts(model, a, b.split(',').map(Number));
else if (cmd === 'run') result = await run(model, JSON.parse(readFileSync(a, 'utf8')));
else { console.error('usage: native.mjs prompts MODEL KIND 128,512 | run MODEL SPEC.json'); process.exit(2); }
process.stdout.write(JSON.stringify(result) + '\n');
