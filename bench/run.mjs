// run.mjs — the speed benchmark (issue 7): pocketlm against wllama in the same headless Chromium,
// and native llama.cpp (node-llama-cpp, 1 thread, best CPU variant and SSE4.2) as the ceiling.
// Never part of `make test`; nothing leaves 127.0.0.1.
//
//   node bench/run.mjs [--quick] [--rounds N] [--models a,b] [--types q4_0,f16] [--engines a,b] [--decode N]
//                      [--timeout S] [--doc] [--regen]
//
// Each round runs every (model, type) with each engine in turn, rotating the engine order every
// round, each in a fresh page or process: load → warm-up (8-token prompt, 2 tokens) → ~128-token
// prompt + D greedy tokens → ~512-token prompt + 1 token. Writes bench/results/speed-<mode>.json
// and .md; --doc also replaces the generated block of docs/BENCHMARKS.md's Speed section.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { serve } from '../tests/browser/server.mjs';
import { launch, CHROMIUM } from '../tests/browser/browser.mjs';
import { ROOT, plan, ensureModels } from './models.mjs';
import { markdown } from './report.mjs';

const run = promisify(execFile);
const { values: args } = parseArgs({ options: {
  quick: { type: 'boolean' }, rounds: { type: 'string' }, models: { type: 'string' }, types: { type: 'string' },
  decode: { type: 'string' }, timeout: { type: 'string' }, doc: { type: 'boolean' }, regen: { type: 'boolean' }, engines: { type: 'string' },
} });
const MODE = args.quick ? 'quick' : 'full';
const ROUNDS = Number(args.rounds ?? (args.quick ? 1 : 3));
const DECODE = Number(args.decode ?? (args.quick ? 16 : 32));
const N_CTX = 1024;
const SESSION_S = Number(args.timeout ?? 900);   // seconds per engine session (load + all prompts)
const TARGETS = [128, 512];
const SSE42_DIR = join(ROOT, 'build', 'llama-sse42');
// pocketlm's relaxed-SIMD build differs from SIMD128 only in its Q4_0/Q6_K dots: Q4_0 rows only.
const ENGINES = {
  pocketlm: { browser: 'pocketlm', threads: 1, build: 'simd128' },
  'pocketlm-relaxed': { browser: 'pocketlm', threads: 1, build: 'relaxed', when: (r) => r.type === 'q4_0' },
  wllama: { browser: 'wllama', threads: 1 },
  'pocketlm-2t': { browser: 'pocketlm', threads: 2, build: 'threads', isolated: true, when: (r) => r.threads2 },
  'wllama-2t': { browser: 'wllama', threads: 2, isolated: true, when: (r) => r.threads2 },
  'native-best': { native: ROOT },
  'native-sse42': { native: SSE42_DIR },
};
const engineNames = args.engines ? args.engines.split(',') : Object.keys(ENGINES);
const log = (...a) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

// ---- setup ----

for (const f of ['build/pocketlm', 'dist/pocketlm.mjs', 'dist/pocketlm.wasm', 'node_modules/@wllama/wllama/esm/index.js'])
  if (!existsSync(join(ROOT, f))) { console.error(`bench: ${f} is missing (make && make wasm && npm install)`); process.exit(1); }

// tests/conformance/variant.mjs builds the private SSE4.2 copy of node-llama-cpp's binaries on first use.
async function ensureSse42() {
  if (existsSync(join(SSE42_DIR, 'ready'))) return;
  const { sse42Logits } = await import('../tests/conformance/variant.mjs');
  const tiny = join(ROOT, 'build', 'bench', 'llama-tiny.gguf');
  execFileSync(join(ROOT, 'build', 'pocketlm'), ['gen', '--model', 'llama-tiny', '--type', 'f16', '-o', tiny]);
  sse42Logits(tiny, [1, 2], 512);
}

function gz(file) {
  const b = readFileSync(file);
  return { bytes: b.length, gzip: gzipSync(b, { level: 9 }).length };
}
function wasmSizes() {
  const nm = join(ROOT, 'node_modules', '@wllama', 'wllama', 'esm');
  const pair = (wasm, js) => { const w = gz(wasm), j = gz(js); return { wasm: w.bytes, wasmGzip: w.gzip, js: j.bytes, jsGzip: j.gzip }; };
  const d = (f) => join(ROOT, 'dist', f), out = {};
  for (const [name, base] of [['pocketlm SIMD128', 'pocketlm'], ['pocketlm relaxed SIMD', 'pocketlm-relaxed'], ['pocketlm SIMD128 + threads', 'pocketlm-mt']])
    if (existsSync(d(`${base}.wasm`))) out[`${name} (dist/${base}.*)`] = pair(d(`${base}.wasm`), d(`${base}.mjs`));
  out['wllama 3.8.1 (esm/wasm/wllama.wasm, esm/index.js)'] = pair(join(nm, 'wasm', 'wllama.wasm'), join(nm, 'index.js'));
  return out;
}

function meta() {
  const sh = (cmd, a) => { try { return execFileSync(cmd, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return '?'; } };
  const dirty = sh('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src', 'wasm', 'web', 'Makefile']);
  const pkg = (p) => JSON.parse(readFileSync(join(ROOT, 'node_modules', p, 'package.json'), 'utf8')).version;
  return {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC', mode: MODE, rounds: ROUNDS, decodeTokens: DECODE, nCtx: N_CTX,
    command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpu: cpus()[0]?.model ?? '?', cores: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30) },
    chromium: sh(CHROMIUM, ['--version']).split('\n').pop().replace(/ built on.*/, ''),
    wllama: pkg('@wllama/wllama'), nodeLlamaCpp: pkg('node-llama-cpp'), node: process.version,
    // BENCH_REV names the engine when the bench runs on an exported tree (git archive) without .git
    pocketlm: process.env.BENCH_REV ?? `${sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'])}${dirty && dirty !== '?' ? ' + uncommitted engine changes' : ''}`,
  };
}

// ---- sessions ----

// A session that overruns is abandoned (its page is closed, which ends its workers): wllama's
// 2-thread build has stalled for many minutes on this 2-vCPU VM when other processes were busy.
let openPage = null;
async function withTimeout(p) {
  let timer;
  const t = new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`timed out after ${SESSION_S} s`)), SESSION_S * 1000); });
  try { return await Promise.race([p, t]); } catch (e) { await openPage?.close().catch(() => {}); throw e; } finally { clearTimeout(timer); }
}

// CPU time (ms) of all processes below this one — the browser: its renderers run the engines'
// workers — from /proc (utime + stime at USER_HZ 100, so 10 ms resolution).
function browserCpuMs() {
  const parent = new Map(), cpu = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let st;
    try { st = readFileSync(`/proc/${d}/stat`, 'utf8'); } catch { continue; }
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');   // f[0] = field 3 (state)
    parent.set(+d, +f[1]);
    cpu.set(+d, (+f[11] + +f[12]) * 10);
  }
  let sum = 0;
  for (const [pid, c] of cpu) {
    let p = parent.get(pid);
    for (let hops = 0; p > 1 && p !== process.pid && hops < 64; hops++) p = parent.get(p);
    if (p === process.pid) sum += c;
  }
  return sum;
}

async function browserSession(ctx, server, eng, r, prompts) {
  const page = openPage = await ctx.newPage();
  let marks = {};
  await page.exposeFunction('benchCpu', (label) => { marks[label] = browserCpuMs(); });
  const timed = async (q) => {
    marks = {};
    const x = await page.evaluate((q) => globalThis.bench.run(q), q);
    for (let i = 0; i < 100 && marks.end === undefined; i++) await new Promise((res) => setTimeout(res, 10));
    return { ...x, cpu: marks };
  };
  const errors = [];
  const note = (t) => { errors.push(t); if (process.env.BENCH_VERBOSE) log(`  page: ${t.slice(0, 300)}`); };
  page.on('pageerror', (e) => note(e.message));
  page.on('console', (m) => { if (m.type() === 'error') note(m.text()); });
  try {
    await page.goto(`${server.url}/bench/page.html`);
    await page.waitForFunction(() => globalThis.benchReady === true);
    const url = '/' + relative(ROOT, r.file);
    const step = (t) => process.env.BENCH_VERBOSE && log(`  ${eng.browser}: ${t}`);
    const open = await page.evaluate(([e, u, o]) => globalThis.bench.open(e, u, o), [eng.browser, url, { nCtx: N_CTX, threads: eng.threads, build: eng.build }]);
    step(`loaded in ${Math.round(open.loadMs)} ms`);
    await page.evaluate((p) => globalThis.bench.run(p), { ...prompts.warmup, maxTokens: 2 });
    step('warmed up');
    const runs = [];
    for (const [i, p] of prompts.prompts.entries()) {
      runs.push(await timed({ ids: p.ids, text: p.text, maxTokens: i === 0 ? DECODE : 1 }));
      step(`prompt of ${p.ids.length} tokens done`);
    }
    let memBytes = await page.evaluate(() => globalThis.bench.memBytes());
    // (an idle pthread worker sits in Atomics.wait and never answers: give each 3 s)
    for (const w of page.workers()) {
      const q = w.evaluate(() => globalThis.__benchWasmBytes?.() ?? 0).catch(() => 0);
      memBytes = Math.max(memBytes, await Promise.race([q, new Promise((r) => setTimeout(() => r(0), 3000))]));
    }
    await page.evaluate(() => globalThis.bench.close());
    for (const [i, x] of runs.entries())
      if (x.promptTokens !== prompts.prompts[i].ids.length) errors.push(`prompt ${i}: engine saw ${x.promptTokens} tokens, expected ${prompts.prompts[i].ids.length}`);
    return { loadMs: open.loadMs, info: open.info, crossOriginIsolated: open.crossOriginIsolated, memBytes, runs, warnings: errors };
  } finally { await page.close(); }
}

async function nativeSession(eng, r, prompts, tmp) {
  const spec = join(tmp, 'spec.json');
  writeFileSync(spec, JSON.stringify({ nCtx: N_CTX, threads: 1, warmup: { ids: prompts.warmup.ids, maxTokens: 2 },
    prompts: prompts.prompts.map((p, i) => ({ ids: p.ids, maxTokens: i === 0 ? DECODE : 1 })) }));
  const { stdout } = await run(process.execPath, [join(ROOT, 'bench', 'native.mjs'), 'run', r.file, spec],
                               { env: { ...process.env, BENCH_LLAMA_DIR: eng.native }, maxBuffer: 64 << 20, timeout: SESSION_S * 1000 });
  return JSON.parse(stdout);
}

// leading generated tokens that match native llama.cpp's (wllama's by text, since it returns text)
function agreement(sessions) {
  const ref = sessions['native-best']?.find((s) => !s.error)?.runs[0];
  if (!ref) return null;
  const out = {};
  for (const [name, ses] of Object.entries(sessions)) {
    const x = ses.find((s) => !s.error)?.runs[0];
    if (!x || name === 'native-best') continue;
    let k = 0;
    if (x.tokens) while (k < x.tokens.length && x.tokens[k] === ref.tokens[k]) k++;
    else {
      let c = 0;
      while (c < x.text.length && x.text[c] === ref.text[c]) c++;
      while (k < ref.textEnds.length && ref.textEnds[k] <= c) k++;
    }
    out[name] = `${k}/${ref.tokens.length}`;
  }
  return out;
}

// ---- main ----

const runsPlanned = plan(MODE, { models: args.models?.split(','), types: args.types?.split(',') });
const runs = ensureModels(runsPlanned, { regen: args.regen, log }).map((r) => {
  if (r.preset) return r;
  const link = join(ROOT, 'build', 'bench', 'models', `${r.id}-${r.type}.gguf`);   // served from ROOT
  if (!existsSync(link)) symlinkSync(r.file, link);
  return { ...r, file: link };
});
if (engineNames.includes('native-sse42')) await ensureSse42();
for (const r of runs) {
  const { stdout } = await run(process.execPath, [join(ROOT, 'bench', 'native.mjs'), 'prompts', r.file, r.text, TARGETS.join(',')], { maxBuffer: 64 << 20 });
  r.prompts = JSON.parse(stdout);
  r.fileBytes = statSync(r.file).size;
  log(`${r.id} ${r.type}: ${(r.fileBytes / 2 ** 20).toFixed(0)} MiB, prompts of ${r.prompts.prompts.map((p) => p.ids.length).join(' / ')} tokens`);
}

const results = { meta: meta(), wasmSize: wasmSizes(), runs: runs.map((r) => ({
  id: r.id, type: r.type, label: r.label, layers: r.layers ?? null, fileBytes: r.fileBytes,
  promptTokens: r.prompts.prompts.map((p) => p.ids.length), sessions: {} })) };
const outDir = join(ROOT, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const save = () => {
  writeFileSync(join(outDir, `speed-${MODE}.json`), JSON.stringify(results, null, 1) + '\n');
  writeFileSync(join(outDir, `speed-${MODE}.md`), markdown(results) + '\n');
};

const servers = { plain: await serve(ROOT), isolated: await serve(ROOT, { isolated: true }) };
const browser = await launch();
const tmp = mkdtempSync(join(tmpdir(), 'pocketlm-bench-'));
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [ri, r] of runs.entries()) {
      const names = engineNames.filter((n) => ENGINES[n] && (!ENGINES[n].when || ENGINES[n].when(r)));
      const order = names.map((_, i) => names[(i + round + ri) % names.length]);   // rotate per round and model
      for (const name of order) {
        const eng = ENGINES[name];
        const t0 = Date.now();
        let s;
        const load1 = loadavg()[0];
        try {
          s = eng.native ? await nativeSession(eng, r, r.prompts, tmp)
            : await withTimeout(browserSession(browser.context, eng.isolated ? servers.isolated : servers.plain, eng, r, r.prompts));
        } catch (e) {
          s = { error: String(e?.message ?? e).split('\n')[0] };
        }
        Object.assign(s, { round, load1 });
        (results.runs[ri].sessions[name] ??= []).push(s);
        if (eng.native && s.cpuVariant && name === 'native-best') results.meta.nativeVariant = s.cpuVariant;
        if (s.info?.version) results.meta.libllama = s.info.version;
        log(`round ${round + 1}/${ROUNDS} ${r.id} ${r.type} ${name}: ${s.error ? 'FAILED ' + s.error : `load ${Math.round(s.loadMs)} ms, ` +
            `ttft128 ${Math.round(s.runs[0].times[0])} ms, ttft512 ${Math.round(s.runs[1].times[0])} ms`} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
        for (const w of s.warnings ?? []) log(`  warning: ${w.slice(0, 200)}`);
      }
      results.runs[ri].agreement = agreement(results.runs[ri].sessions);
      save();
    }
  }
} finally {
  save();
  await browser.close();
  for (const s of Object.values(servers)) await s.close();
  rmSync(tmp, { recursive: true, force: true });
}

const md = markdown(results);
console.log('\n' + md);
if (args.doc) {
  const docPath = join(ROOT, 'docs', 'BENCHMARKS.md');
  const doc = readFileSync(docPath, 'utf8');   // re-read: other sections may have changed meanwhile
  const re = /(<!-- speed:results:begin -->\n)[\s\S]*?(\n<!-- speed:results:end -->)/;
  if (!re.test(doc)) { console.error('bench: docs/BENCHMARKS.md has no speed:results markers; left unchanged'); process.exit(1); }
  writeFileSync(docPath, doc.replace(re, (_, a, b) => a + md + b));
  log('updated docs/BENCHMARKS.md (Speed, generated block)');
}
