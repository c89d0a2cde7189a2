// run.mjs — conformance of pocketlm against llama.cpp (node-llama-cpp) on generated models of
// every architecture and tensor type, plus the real stories260K model when ../shared/data has it.
// For each model: teacher-forced logits over a fixed 64-token sequence from both engines, and a
// greedy 32-token continuation. Prints a table and "N passed, N failed"; --write also writes
// docs/CONFORMANCE.md. Usage: node tests/conformance/run.mjs [--write] [--only preset]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openModel, closeModel, teacherForced, greedy } from './llama-ref.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'build', 'pocketlm');
const OUT = join(ROOT, 'build', 'conformance');
const STORIES = join(ROOT, '..', 'shared', 'data', 'stories260K.gguf');
const PRESETS = ['llama-tiny', 'gemma3-tiny', 'gemma4-tiny', 'gemma4-e2b-tiny'];
const TYPES = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'q4_k', 'q5_k', 'q6_k'];
const FLOAT_TYPES = new Set(['f32', 'f16', 'bf16']);
// Bounds from the engine-core issue: float weights must agree tightly; quantized weights go
// through int8 activation quantization in both engines, whose rounding differs in summation order.
const BOUND = { float: { top1: 1.0, maxDelta: 0.02 }, quant: { top1: 0.95, meanDelta: 0.1 } };
const N_SEQ = 64, N_PROMPT = 8, N_GREEDY = 32;

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;

function cli(...a) { return execFileSync(CLI, a, { encoding: 'utf8', maxBuffer: 1 << 26 }); }

function sequence(nVocab) {      // BOS, then ids drawn from the normal-token range (no byte tokens)
  let x = 0x9e3779b97f4a7c15n;
  const toks = [2];
  while (toks.length < N_SEQ) {
    x ^= x << 13n; x &= (1n << 64n) - 1n; x ^= x >> 7n; x ^= x << 17n; x &= (1n << 64n) - 1n;
    toks.push(260 + Number(x % BigInt(nVocab - 260)));
  }
  return toks;
}

function ourLogits(model, toks, nVocab) {
  const f = join(OUT, 'logits.bin');
  cli('logits', '-m', model, '--tokens', toks.join(','), '--out', f);
  const buf = readFileSync(f);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  return toks.map((_, i) => all.subarray(i * nVocab, (i + 1) * nVocab));
}

function ourGreedy(model, prompt, n) {
  return cli('run', '-m', model, '--tokens', prompt.join(','), '-n', String(n), '--temp', '0').trim().split(',').map(Number);
}

const argmax = (r) => { let b = 0; for (let i = 1; i < r.length; i++) if (r[i] > r[b]) b = i; return b; };
function logSoftmaxAt(r, t) {
  let m = -Infinity; for (const v of r) m = v > m ? v : m;
  let s = 0; for (const v of r) s += Math.exp(v - m);
  return r[t] - m - Math.log(s);
}

async function compare(name, model, nVocab, toks, prompt, nGreedy) {
  const ours = ourLogits(model, toks, nVocab);
  const h = await openModel(model, N_SEQ + 8, nVocab);
  try {
    if (typeof prompt === 'string') prompt = [h.model.tokens.bos, ...h.model.tokenize(prompt)];   // BOS + llama.cpp's tokens
    const ref = await teacherForced(h, toks);
    let agree = 0, maxD = 0, sumD = 0;
    for (let i = 0; i < toks.length; i++) {
      const t = argmax(ref[i]);
      agree += argmax(ours[i]) === t;
      const d = Math.abs(logSoftmaxAt(ours[i], t) - logSoftmaxAt(ref[i], t));
      maxD = Math.max(maxD, d); sumD += d;
    }
    const g1 = ourGreedy(model, prompt, nGreedy), g2 = await greedy(h, prompt, nGreedy);
    const same = g1.length === g2.length && g1.every((t, i) => t === g2[i]);
    return { name, top1: agree / toks.length, maxD, meanD: sumD / toks.length, greedy: same, g1, g2 };
  } finally {
    await closeModel(h);
  }
}

function judge(r, kind) {
  if (kind === 'float') return r.top1 >= BOUND.float.top1 && r.maxD <= BOUND.float.maxDelta && r.greedy;
  if (kind === 'quant') return r.top1 >= BOUND.quant.top1 && r.meanD <= BOUND.quant.meanDelta;
  return r.greedy;   // real model: identical greedy text
}

const rows = [];
let pass = 0, fail = 0;
mkdirSync(OUT, { recursive: true });
for (const preset of PRESETS) {
  if (only && only !== preset) continue;
  for (const type of TYPES) {
    const model = join(OUT, `${preset}-${type}.gguf`);
    cli('gen', '--model', preset, '--type', type, '-o', model, '--seed', '1');
    const toks = sequence(512);
    const r = await compare(`${preset} ${type}`, model, 512, toks, toks.slice(0, N_PROMPT), N_GREEDY);
    const kind = FLOAT_TYPES.has(type) ? 'float' : 'quant';
    r.ok = judge(r, kind); r.kind = kind;
    rows.push(r); r.ok ? pass++ : fail++;
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(24)} top1 ${(100 * r.top1).toFixed(1)}%  max|Δlogp| ${r.maxD.toFixed(4)}  mean ${r.meanD.toFixed(4)}  greedy32 ${r.greedy ? 'same' : 'DIFFERS'}`);
  }
}
if (!only || only === 'stories260K') {
  if (existsSync(STORIES)) {
    const r = await compare('stories260K f32 (real)', STORIES, 512, sequence(512), 'Once upon a time', 64);
    r.kind = 'real'; r.ok = judge(r, 'real');
    rows.push(r); r.ok ? pass++ : fail++;
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(24)} top1 ${(100 * r.top1).toFixed(1)}%  max|Δlogp| ${r.maxD.toFixed(4)}  greedy64 ${r.greedy ? 'same' : 'DIFFERS'}`);
    if (!r.greedy) console.log('  ours:', r.g1.join(','), '\n  ref: ', r.g2.join(','));
  } else {
    console.log('skip stories260K: ../shared/data/stories260K.gguf is absent');
  }
}

if (args.includes('--write')) writeDoc(rows);
console.log(`${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);

function writeDoc(rows) {
  const lines = rows.map((r) => `| ${r.name} | ${(100 * r.top1).toFixed(1)}% | ${r.maxD.toFixed(4)} | ${r.meanD.toFixed(4)} | ${r.greedy ? 'same' : 'differs'} | ${r.ok ? 'pass' : 'FAIL'} |`);
  writeFileSync(join(ROOT, 'docs', 'CONFORMANCE.md'), `# Conformance with llama.cpp

Generated by \`node tests/conformance/run.mjs --write\` (also run, without writing, by \`make test\`).
Reference: llama.cpp as shipped in node-llama-cpp 3.22.1 (CPU, 1 thread, flash attention off).
Models: synthetic GGUFs from \`build/pocketlm gen\` (seed 1; every 2-D weight in the named type,
vectors in F32) and the real stories260K model. Sequence: BOS + 63 fixed pseudo-random token ids,
teacher-forced through both engines; Δlogp is the difference of the two engines' log-probability
of llama.cpp's top token at each position. Greedy: 32 tokens continued from the first 8
(64 from "Once upon a time" for stories260K).

Bounds: F32/F16/BF16 top-1 100%, max |Δlogp| ≤ ${BOUND.float.maxDelta}, greedy equal; quantized top-1 ≥ ${100 * BOUND.quant.top1}%,
mean |Δlogp| ≤ ${BOUND.quant.meanDelta}; stories260K greedy equal.

| model / weights | top-1 agreement | max \\|Δlogp\\| | mean \\|Δlogp\\| | greedy | verdict |
|---|---|---|---|---|---|
${lines.join('\n')}
`);
}
