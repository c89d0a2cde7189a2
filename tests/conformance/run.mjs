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
import { sse42Logits } from './variant.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'build', 'pocketlm');
const OUT = join(ROOT, 'build', 'conformance');
const STORIES = join(ROOT, '..', 'shared', 'data', 'stories260K.gguf');
const PRESETS = ['llama-tiny', 'gemma3-tiny', 'gemma4-tiny', 'gemma4-e2b-tiny'];
const TYPES = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'q4_k', 'q5_k', 'q6_k'];
const FLOAT_TYPES = new Set(['f32', 'f16', 'bf16']);
// Bounds from the engine-core issue: float weights must agree tightly; quantized weights go
// through int8 activation quantization in both engines, whose rounding differs in summation order.
// Random-weight models amplify last-bit differences (a flipped f16/bf16/int8 rounding propagates),
// so llama.cpp's own CPU builds (zen4 vs SSE4.2) disagree with each other too. Two rules follow:
// top-1 is scored on decidable positions: llama.cpp's two builds agree there and its top-1 leads
// the runner-up by more than TIE_MARGIN x its own cross-build max |Δlogp| (elsewhere the reference
// has no stable answer), and a Δlogp bound is max(issue bound, FLOOR_MARGIN x llama.cpp's own
// spread), since no engine can agree with llama.cpp more closely than llama.cpp agrees with itself.
const BOUND = { float: { top1: 1.0, maxDelta: 0.02 }, quant: { top1: 0.95, meanDelta: 0.1 } };
const FLOOR_MARGIN = 1.5, TIE_MARGIN = 2;
const N_SEQ = 64, N_PROMPT = 8, N_GREEDY = 32;

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;

function cli(...a) { return execFileSync(CLI, a, { encoding: 'utf8', maxBuffer: 1 << 26 }); }

function sequence(nVocab, x = 0x9e3779b97f4a7c15n, n = N_SEQ) {   // BOS, then ids from the normal-token range (no byte tokens)
  const toks = [2];
  while (toks.length < n) {
    x ^= x << 13n; x &= (1n << 64n) - 1n; x ^= x >> 7n; x ^= x << 17n; x &= (1n << 64n) - 1n;
    toks.push(260 + Number(x % BigInt(nVocab - 260)));
  }
  return toks;
}

function ourLogits(model, toks, nVocab, extra = []) {
  const f = join(OUT, 'logits.bin');
  cli('logits', '-m', model, '--tokens', toks.join(','), '--out', f, ...extra);
  const buf = readFileSync(f);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  return toks.map((_, i) => all.subarray(i * nVocab, (i + 1) * nVocab));
}

function ourGreedy(model, prompt, n, extra = []) {
  return cli('run', '-m', model, '--tokens', prompt.join(','), '-n', String(n), '--temp', '0', ...extra).trim().split(',').map(Number);
}

const argmax = (r) => { let b = 0; for (let i = 1; i < r.length; i++) if (r[i] > r[b]) b = i; return b; };
function logSoftmaxAt(r, t) {
  let m = -Infinity; for (const v of r) m = v > m ? v : m;
  let s = 0; for (const v of r) s += Math.exp(v - m);
  return r[t] - m - Math.log(s);
}

// our: the file and extra CLI options pocketlm runs (default: the same model as llama.cpp)
async function compare(name, model, nVocab, toks, prompt, nGreedy, our = { model, args: [] }) {
  const ours = ourLogits(our.model, toks, nVocab, our.args);
  const h = await openModel(model, N_SEQ + 8, nVocab);
  try {
    if (typeof prompt === 'string') prompt = [h.model.tokens.bos, ...h.model.tokenize(prompt)];   // BOS + llama.cpp's tokens
    const ref = await teacherForced(h, toks), ref2 = sse42Logits(model, toks, nVocab);
    const floor = stats(ref2, ref, ref2, 0), m = stats(ours, ref, ref2, TIE_MARGIN * floor.maxD);
    const g1 = ourGreedy(our.model, prompt, nGreedy, our.args), g2 = await greedy(h, prompt, nGreedy);
    const same = g1.length === g2.length && g1.every((t, i) => t === g2[i]);
    return { name, ...m, floor, greedy: same, g1, g2 };
  } finally {
    await closeModel(h);
  }
}

// a: logits under test, ref: llama.cpp (default build), ref2: llama.cpp SSE4.2 build;
// tie: minimum top-1 lead (in log-prob) for a position to count as decidable.
function stats(a, ref, ref2, tie) {
  let agree = 0, stable = 0, agreeStable = 0, maxD = 0, sumD = 0;
  for (let i = 0; i < ref.length; i++) {
    const t = argmax(ref[i]), hit = argmax(a[i]) === t, isStable = argmax(ref2[i]) === t && lead(ref[i], t) > tie;
    agree += hit; stable += isStable; agreeStable += hit && isStable;
    const d = Math.abs(logSoftmaxAt(a[i], t) - logSoftmaxAt(ref[i], t));
    maxD = Math.max(maxD, d); sumD += d;
  }
  return { top1: agree / ref.length, top1Stable: stable ? agreeStable / stable : 1, stable, maxD, meanD: sumD / ref.length };
}

function judge(r, kind) {
  r.maxBound = Math.max(BOUND.float.maxDelta, FLOOR_MARGIN * r.floor.maxD);
  r.meanBound = Math.max(BOUND.quant.meanDelta, FLOOR_MARGIN * r.floor.meanD);
  if (kind === 'float') return r.top1Stable >= BOUND.float.top1 && r.maxD <= r.maxBound;
  if (kind === 'quant') return r.top1Stable >= BOUND.quant.top1 && r.meanD <= r.meanBound;
  return r.greedy && r.top1Stable >= BOUND.float.top1 && r.maxD <= r.maxBound;   // real model: identical greedy text
}

function lead(r, t) {   // logit gap between the top token t and the runner-up
  let second = -Infinity;
  for (let i = 0; i < r.length; i++) if (i !== t && r[i] > second) second = r[i];
  return r[t] - second;
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;
function report(r) {
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(24)} top1 ${pct(r.top1Stable)} of ${r.stable} (raw ${pct(r.top1)}, llama.cpp self ${pct(r.floor.top1)})` +
              `  max|Δ| ${r.maxD.toFixed(4)} (self ${r.floor.maxD.toFixed(4)})  mean ${r.meanD.toFixed(4)} (self ${r.floor.meanD.toFixed(4)})` +
              `  greedy ${r.greedy ? 'same' : 'DIFFERS'}`);
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
    report(r);
  }
}
// GGUF-M (docs/FORMAT.md): a float model quantized with the E2B recipe and calibrated static
// activation scales. pocketlm runs the GGUF-M file with the static scales off (dynamic int8 inputs);
// llama.cpp runs its upstream fallback (Q2_0/Q4_0/Q8_0, every block's scale = fp16 of the row
// scale): the same weights, so the quantized-type bounds apply.
const MOBILE = ['gemma4-tiny', 'gemma4-e2b-tiny'];
for (const preset of MOBILE) {
  if (only && only !== `${preset}-mobile`) continue;
  const f32 = join(OUT, `${preset}-f32.gguf`), m = join(OUT, `${preset}-m.gguf`), fb = join(OUT, `${preset}-m-fallback.gguf`);
  const calib = join(OUT, 'calib-tokens.txt'), toks = sequence(512);
  cli('gen', '--model', preset, '--type', 'f32', '-o', f32, '--seed', '1');
  writeFileSync(calib, sequence(512, 0x2545f4914f6cdd1dn, 256).join(' '));
  cli('quantize', '--mobile', f32, m, '--calib-tokens', calib);
  cli('quantize', '--fallback', m, fb);
  const r = await compare(`${preset} gguf-m`, fb, 512, toks, toks.slice(0, N_PROMPT), N_GREEDY, { model: m, args: ['--no-static-act'] });
  r.kind = 'quant'; r.ok = judge(r, 'quant');
  rows.push(r); r.ok ? pass++ : fail++;
  report(r);
}

// The committed default model (make train, docs/QAT.md): its Q4_0 file as shipped and its F16 form
// (every matrix dequantized by pocketlm train-export --gguf), teacher-forced over KJV text and
// greedy from a prompt: identical greedy tokens on both, float bounds for F16, quantized for Q4_0.
const DEFAULT_MODEL = join(ROOT, 'models', 'pocketlm-default.gguf');
if ((!only || only === 'pocketlm-default') && existsSync(DEFAULT_MODEL)) {
  const f16 = join(OUT, 'pocketlm-default-f16.gguf');
  cli('train-export', '--gguf', DEFAULT_MODEL, '--type', 'f16', '-o', f16);
  const text = 'And it came to pass, when the king heard the words of the book of the law, that he rent his clothes. ' +
               'And the king commanded Hilkiah the priest, and Ahikam the son of Shaphan, saying, Go ye, enquire of the LORD for me.';
  const ids = JSON.parse(execFileSync(CLI, ['tokenize', '-m', DEFAULT_MODEL, '--json'], { input: JSON.stringify([text]), encoding: 'utf8' }))[0];
  const toks = [2, ...ids].slice(0, N_SEQ);
  for (const [name, model, kind] of [['pocketlm-default q4_0 (real)', DEFAULT_MODEL, 'quant'], ['pocketlm-default f16 (real)', f16, 'real']]) {
    const r = await compare(name, model, 4096, toks, 'And God said unto Moses', 64);
    r.kind = kind; r.ok = judge(r, kind) && r.greedy;
    rows.push(r); r.ok ? pass++ : fail++;
    report(r);
    if (!r.greedy) console.log('  ours:', r.g1.join(','), '\n  ref: ', r.g2.join(','));
  }
}

if (!only || only === 'stories260K') {
  if (existsSync(STORIES)) {
    const r = await compare('stories260K f32 (real)', STORIES, 512, sequence(512), 'Once upon a time', 64);
    r.kind = 'real'; r.ok = judge(r, 'real');
    rows.push(r); r.ok ? pass++ : fail++;
    report(r);
    if (!r.greedy) console.log('  ours:', r.g1.join(','), '\n  ref: ', r.g2.join(','));
  } else {
    console.log('skip stories260K: ../shared/data/stories260K.gguf is absent');
  }
}

if (args.includes('--write')) writeDoc(rows);
console.log(`${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);

function writeDoc(rows) {
  const f = (x) => x.toFixed(4);
  const lines = rows.map((r) => `| ${r.name} | ${pct(r.top1Stable)} of ${r.stable} | ${pct(r.top1)} | ${pct(r.floor.top1)} | ` +
    `${f(r.maxD)} | ${f(r.floor.maxD)} | ${f(r.meanD)} | ${f(r.floor.meanD)} | ${r.greedy ? 'same' : 'differs'} | ${r.ok ? 'pass' : 'FAIL'} |`);
  const doc = join(ROOT, 'docs', 'CONFORMANCE.md');   // kvq8.mjs's int8-KV section is kept as it is
  const kvq8 = existsSync(doc) ? (/<!-- kvq8:begin[\s\S]*?<!-- kvq8:end -->/.exec(readFileSync(doc, 'utf8'))?.[0] ?? '') : '';
  writeFileSync(doc, `# Conformance with llama.cpp

Regenerate: \`make && node tests/conformance/run.mjs --write\` (\`make test\` runs the same checks without writing).

- **Reference**: llama.cpp as shipped in node-llama-cpp 3.22.1, CPU, 1 thread, flash attention off.
  node-llama-cpp picks its best CPU build at run time (zen4 on the development machine); a private copy
  holding only its SSE4.2 build is run as a second reference ("self" columns: SSE4.2 vs the default build).
- **Models**: synthetic GGUFs from \`build/pocketlm gen --model PRESET --type T --seed 1\` (every 2-D
  weight in the named type, vectors in F32; exact llama.cpp metadata and tensor names), and the real
  trained stories260K model.
- **Sequence**: BOS + 63 fixed pseudo-random token ids, teacher-forced through both engines.
  Δlogp = difference of the two engines' log-probability of llama.cpp's top token at each position.
- **Greedy**: 32 tokens continued from the first 8 (64 from "Once upon a time" for stories260K).
- **pocketlm-default** (docs/QAT.md): the committed model as shipped (Q4_0) and its F16 form (\`pocketlm
  train-export --gguf\`: every matrix dequantized), teacher-forced over 64 tokens of KJV text, 64 greedy
  tokens from "And God said unto Moses"; both must give llama.cpp's greedy tokens exactly.
- **GGUF-M** ("gguf-m" rows, docs/FORMAT.md): the f32 model quantized by \`pocketlm quantize --mobile\` (E2B
  recipe, static activation scales calibrated on another token sequence); pocketlm runs that file with
  \`--no-static-act\` (dynamic per-vector int8 activations), llama.cpp runs \`quantize --fallback\` of it
  (Q2_0/Q4_0/Q8_0 blocks carrying fp16 of the row scales): the same weights, judged by the quantized bounds.

## Why the llama.cpp self-comparison is part of the bounds

Random-weight models amplify last-bit differences: a sum taken in a different order can flip one
f16/bf16 or int8 activation rounding, and the flip propagates through the layers. llama.cpp's own two
CPU builds therefore disagree with each other on these models (the "self" columns), by amounts that
exceed the issue's absolute bounds for BF16 and some quantized types. No engine can agree with
llama.cpp more closely than llama.cpp agrees with itself, so:

- top-1 agreement is scored on **decidable positions** only: both llama.cpp builds pick the same token
  there and it leads the runner-up by more than ${TIE_MARGIN}× llama.cpp's own cross-build max |Δlogp|
  (the raw agreement over all 64 positions is reported beside it);
- Δlogp bounds are **max(issue bound, ${FLOOR_MARGIN}× llama.cpp's own spread)**.

Required (engine-core issue): F32/F16/BF16 top-1 100% and max |Δlogp| ≤ ${BOUND.float.maxDelta};
quantized top-1 ≥ ${100 * BOUND.quant.top1}% and mean |Δlogp| ≤ ${BOUND.quant.meanDelta}; stories260K identical greedy text.
The suite does fail on real bugs: ignoring \`rope_freqs\` on gemma4's two full-attention layers fails
8 of the 9 gemma4-e2b-tiny rows.

| model / weights | top-1 (decidable) | top-1 raw | llama.cpp self top-1 | max \\|Δlogp\\| | self max | mean \\|Δlogp\\| | self mean | greedy | verdict |
|---|---|---|---|---|---|---|---|---|---|
${lines.join('\n')}

## Tokenizers and chat templates

Agreement with llama.cpp's tokenizer on its tokenizer-only GGUFs (test vectors and 2400 generated strings per
vocabulary) and byte-for-byte chat-template rendering: [docs/TOKENIZER.md](TOKENIZER.md), regenerated by
\`node tests/conformance/tokenizer.mjs --write\` and checked by \`make test-conformance\`.
${kvq8 ? `\n${kvq8}\n` : ''}`);
}
