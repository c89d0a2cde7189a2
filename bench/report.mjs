// report.mjs — figures from raw sessions, medians over rounds, and the markdown tables that go into
// docs/BENCHMARKS.md ("Speed"). Pure functions over the results JSON (bench/run.mjs writes it), so
// `node bench/report.mjs bench/results/speed-full.json` re-renders a saved run.
import { readFileSync } from 'node:fs';

/** Engine columns, in table order. */
export const ENGINE_LABELS = {
  pocketlm: 'pocketlm SIMD128 (1 thread)',
  'pocketlm-relaxed': 'pocketlm relaxed SIMD (1 thread)',
  wllama: 'wllama (1 thread)',
  'pocketlm-2t': 'pocketlm SIMD128 + threads (2 threads, isolated)',
  'wllama-2t': 'wllama (2 threads, isolated)',
  'native-sse42': 'llama.cpp native SSE4.2 (1 thread)',
  'native-best': 'llama.cpp native best CPU variant (1 thread)',
};

/**
 * One session's figures. runs[0]: ~128-token prompt then D greedy tokens; runs[1]: ~512-token prompt,
 * 1 token. Prefill rate = prompt tokens / time to first token (measured outside the engine, so it
 * includes the first sampling step and any call overhead); decode rate = (D-1) / (last token − first token).
 */
export function figures(s) {
  const [a, b] = s.runs;
  const n = a.times.length;
  // CPU-time rates (the engine's process(es), /proc or process.cpuUsage; intervals under 200 ms are
  // too coarse at 10 ms ticks): steadier than wall time when other jobs share the VM
  const cpuRate = (k, c0, c1) => (c0 !== undefined && c1 !== undefined && c1 - c0 >= 200 ? (k / (c1 - c0)) * 1000 : null);
  return {
    cpuPrefill128: cpuRate(a.promptTokens, a.cpu?.start, a.cpu?.first),
    cpuPrefill512: b ? cpuRate(b.promptTokens, b.cpu?.start, b.cpu?.first) : null,
    cpuDecode: cpuRate(n - 1, a.cpu?.first, a.cpu?.end),
    loadMs: s.loadMs,
    ttft128Ms: a.times[0],
    prefill128: (a.promptTokens / a.times[0]) * 1000,
    prefill512: b ? (b.promptTokens / b.times[0]) * 1000 : null,
    decode: n > 1 ? ((n - 1) / (a.times[n - 1] - a.times[0])) * 1000 : null,
    memBytes: s.memBytes ?? null,
  };
}

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((p, q) => p - q);
  if (!v.length) return null;
  return v.length % 2 ? v[v.length >> 1] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

/** Median of each figure over the sessions (rounds) of one engine. */
export function medians(sessions) {
  const ok = sessions.filter((s) => !s.error);
  if (!ok.length) return null;
  const f = ok.map(figures), out = {};
  for (const k of Object.keys(f[0])) out[k] = median(f.map((x) => x[k]));
  out.rounds = ok.length;
  return out;
}

const sig = (x, d = 3) => (x === null || x === undefined ? '–' : x >= 10 ** d ? Math.round(x).toLocaleString('en-US') : x.toPrecision(d));
const ms = (x) => (x === null || x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
const mib = (x) => (x ? Math.round(x / 2 ** 20).toLocaleString('en-US') : '–');
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '–');
const TYPE = { q4_0: 'Q4_0', q8_0: 'Q8_0', f16: 'F16', f32: 'F32' };

function figureTable(results) {
  const rows = ['| model | type | engine | load ms | TTFT @128 ms | prefill @128 tok/s | prefill @512 tok/s | decode tok/s | peak wasm MiB |',
                '|---|---|---|--:|--:|--:|--:|--:|--:|'];
  for (const r of results.runs) {
    for (const [eng, label] of Object.entries(ENGINE_LABELS)) {
      const ses = r.sessions[eng];
      if (!ses) continue;
      const m = medians(ses);
      const mem = eng.startsWith('native') ? '(native)' : mib(m?.memBytes);
      if (!m) { rows.push(`| ${r.id} | ${TYPE[r.type]} | ${label} | failed: ${ses.find((s) => s.error)?.error.slice(0, 80)} ||||||`); continue; }
      rows.push(`| ${r.id} | ${TYPE[r.type]} | ${label} | ${ms(m.loadMs)} | ${ms(m.ttft128Ms)} | ${sig(m.prefill128)} | ${sig(m.prefill512)} | ${sig(m.decode)} | ${mem} |`);
    }
  }
  return rows.join('\n');
}

// one row per pocketlm build (SIMD128 is the like-for-like one: wllama is SIMD128 too)
function ratioTable(results) {
  const rows = ['| model | type | pocketlm build | decode ÷ wllama | prefill @128 ÷ wllama | prefill @512 ÷ wllama | load: wllama ÷ pocketlm | decode ÷ native SSE4.2 | decode ÷ native best | prefill @512 ÷ native SSE4.2 | prefill @512 ÷ native best |',
                '|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|'];
  for (const r of results.runs) {
    const m = Object.fromEntries(Object.keys(ENGINE_LABELS).map((e) => [e, r.sessions[e] ? medians(r.sessions[e]) : null]));
    const w = m.wllama, s = m['native-sse42'], b = m['native-best'];
    for (const [eng, build] of [['pocketlm', 'SIMD128'], ['pocketlm-relaxed', 'relaxed SIMD'], ['pocketlm-2t', '2 threads ÷ wllama 2 threads']]) {
      const p = m[eng];
      if (!p) continue;
      const ww = eng === 'pocketlm-2t' ? m['wllama-2t'] : w;
      rows.push(`| ${r.id} | ${TYPE[r.type]} | ${build} | ${ratio(p.decode, ww?.decode)} | ${ratio(p.prefill128, ww?.prefill128)} | ${ratio(p.prefill512, ww?.prefill512)} | ` +
                `${ratio(ww?.loadMs, p.loadMs)} | ${ratio(p.decode, s?.decode)} | ${ratio(p.decode, b?.decode)} | ${ratio(p.prefill512, s?.prefill512)} | ${ratio(p.prefill512, b?.prefill512)} |`);
    }
  }
  return rows.join('\n');
}

// single-thread engines only: with threads, CPU time adds up over cores (and spin-waits)
function cpuTable(results) {
  const rows = ['| model | type | engine | prefill @128 tok/CPU-s | prefill @512 tok/CPU-s | decode tok/CPU-s | decode ÷ wllama | prefill @512 ÷ wllama | decode ÷ native SSE4.2 |',
                '|---|---|---|--:|--:|--:|--:|--:|--:|'];
  for (const r of results.runs) {
    const m = Object.fromEntries(Object.keys(ENGINE_LABELS).map((e) => [e, r.sessions[e] ? medians(r.sessions[e]) : null]));
    for (const eng of ['pocketlm', 'pocketlm-relaxed', 'wllama', 'native-sse42', 'native-best']) {
      const x = m[eng];
      if (!x) continue;
      const mine = eng.startsWith('pocketlm');
      rows.push(`| ${r.id} | ${TYPE[r.type]} | ${ENGINE_LABELS[eng].replace(' (1 thread)', '')} | ${sig(x.cpuPrefill128)} | ${sig(x.cpuPrefill512)} | ${sig(x.cpuDecode)} | ` +
                `${mine ? ratio(x.cpuDecode, m.wllama?.cpuDecode) : ''} | ${mine ? ratio(x.cpuPrefill512, m.wllama?.cpuPrefill512) : ''} | ${mine ? ratio(x.cpuDecode, m['native-sse42']?.cpuDecode) : ''} |`);
    }
  }
  return rows.join('\n');
}

// Per-layer decode cost from two layer counts of one shape: (ms/token at L_b − at L_a) / (L_b − L_a),
// i.e. the layers the bigger file adds, with the output head and embeddings cancelled out.
function layerTable(results) {
  const rows = ['| shape, type | layers | engine | ms per added layer per token (wall) | (CPU time) |', '|---|---|---|--:|--:|'];
  const byShape = new Map();
  for (const r of results.runs) if (r.layers) {
    const k = `${r.id.replace(/-L\d+$/, '')} ${TYPE[r.type]}`;
    byShape.set(k, [...(byShape.get(k) ?? []), r]);
  }
  for (const [k, rs] of byShape) {
    if (rs.length < 2) continue;
    const [a, b] = rs.sort((x, y) => x.layers - y.layers);
    for (const eng of ['pocketlm', 'pocketlm-relaxed', 'wllama', 'native-sse42', 'native-best']) {
      const ma = a.sessions[eng] && medians(a.sessions[eng]), mb = b.sessions[eng] && medians(b.sessions[eng]);
      if (!ma || !mb) continue;
      const per = (x, y) => (x && y ? ((1000 / y - 1000 / x) / (b.layers - a.layers)).toFixed(1) : '–');
      rows.push(`| ${k} | ${a.layers} → ${b.layers} | ${ENGINE_LABELS[eng]} | ${per(ma.decode, mb.decode)} | ${per(ma.cpuDecode, mb.cpuDecode)} |`);
    }
  }
  return rows.length > 2 ? rows.join('\n') : '';
}

function threadTable(results) {
  const rows = ['| model | type | engine | threads | prefill @128 tok/s | prefill @512 tok/s | decode tok/s |', '|---|---|---|--:|--:|--:|--:|'];
  let any = false;
  for (const r of results.runs) {
    if (!r.sessions['wllama-2t'] && !r.sessions['pocketlm-2t']) continue;
    any = true;
    for (const [eng, label, t] of [['pocketlm', 'pocketlm', 1], ['pocketlm-2t', 'pocketlm', 2], ['wllama', 'wllama', 1], ['wllama-2t', 'wllama', 2]]) {
      const ses = r.sessions[eng], m = ses ? medians(ses) : null;
      if (ses && !m) rows.push(`| ${r.id} | ${TYPE[r.type]} | ${label} | ${t} | failed: ${ses.find((s) => s.error)?.error.slice(0, 80)} | | |`);
      else rows.push(`| ${r.id} | ${TYPE[r.type]} | ${label} | ${t} | ${sig(m?.prefill128)} | ${sig(m?.prefill512)} | ${sig(m?.decode)} |`);
    }
  }
  return any ? rows.join('\n') : '';
}

function agreementLines(results) {
  const out = [];
  for (const r of results.runs) {
    const a = r.agreement;
    if (!a) continue;
    out.push(`${r.id} ${TYPE[r.type]}: ${Object.entries(a).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  return out;
}

function sizeTable(sz) {
  const kb = (x) => `${Math.round(x / 1024).toLocaleString('en-US')} KB`;
  return ['| package | wasm | wasm gzip -9 | JS glue | JS gzip -9 |', '|---|--:|--:|--:|--:|',
    ...Object.entries(sz).map(([k, v]) => `| ${k} | ${kb(v.wasm)} | ${kb(v.wasmGzip)} | ${kb(v.js)} | ${kb(v.jsGzip)} |`)].join('\n');
}

function loadRange(results) {
  const l = results.runs.flatMap((r) => Object.values(r.sessions).flat().map((s) => s.load1)).filter((x) => typeof x === 'number');
  return l.length ? `${Math.min(...l).toFixed(2)}–${Math.max(...l).toFixed(2)}` : '?';
}

/** The generated part of the Speed section. */
export function markdown(results) {
  const m = results.meta;
  const threads = threadTable(results), layers = layerTable(results);
  const agree = agreementLines(results);
  return [
    `Run: \`${m.command}\` — ${m.date}, ${m.mode} mode, ${m.rounds} round(s) (medians), ${m.decodeTokens} decoded tokens, context ${m.nCtx}.`,
    `Machine: ${m.machine.cpu}, ${m.machine.cores} vCPU, ${m.machine.memGiB} GiB; 1-minute load average at session starts ${loadRange(results)} (other work on the VM shows up here).`,
    `Versions: ${m.chromium}; wllama ${m.wllama} (libllama ${m.libllama ?? '?'}); node-llama-cpp ${m.nodeLlamaCpp} (native best variant here: ${m.nativeVariant ?? '?'}); pocketlm ${m.pocketlm}.`,
    '',
    '**Figures** (medians):',
    '',
    figureTable(results),
    '',
    '**Ratios** (pocketlm rate ÷ other rate: above 1× pocketlm is faster; load is the other engine\'s time ÷ pocketlm\'s):',
    '',
    ratioTable(results),
    '',
    '**CPU time** (tokens per CPU-second of the engine\'s processes, 1-thread engines; time spent waiting for a CPU that other jobs hold drops out, cache and memory-bandwidth contention do not; – where the interval is under 200 ms):',
    '',
    cpuTable(results),
    ...(layers ? ['', '**Per layer** (decode time the added layers cost; the E2B L5 → L10 layers share KV and have ff 12288):', '', layers] : []),
    ...(threads ? ['', '**Threads** (cross-origin isolated page; this VM has 2 vCPUs):', '', threads] : []),
    '',
    '**Wasm size** (what a browser downloads; wllama\'s JS embeds its worker and Emscripten glue):',
    '',
    sizeTable(results.wasmSize),
    ...(agree.length ? ['', '**Greedy agreement with native llama.cpp** (matching leading tokens of the decode run, first round):', '', ...agree.map((l) => `- ${l}`)] : []),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(markdown(JSON.parse(readFileSync(process.argv[2], 'utf8'))));
}
