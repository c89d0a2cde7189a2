// page.js — the in-page half of the speed benchmark. bench/run.mjs drives one engine session at a
// time through page.evaluate: bench.open(engine, url, opts) → bench.run(prompt)… → bench.close().
// Both engines get the model as the same in-memory Blob (fetched before the clock starts), the
// same prompt (token ids for pocketlm, the text that llama.cpp tokenizes to those ids for wllama)
// and greedy sampling; times are taken here, outside each engine, the same way for both.

const WLLAMA = '/node_modules/@wllama/wllama/esm/index.js';
const WLLAMA_WASM = '/node_modules/@wllama/wllama/esm/wasm/wllama.wasm';
const PROBE = new URL('/bench/probe.js', location.href).href;

// Every Worker the page starts first loads probe.js, so wasm memories created inside it are seen.
const OrigWorker = globalThis.Worker;
globalThis.Worker = class extends OrigWorker {
  constructor(url, opts = {}) {
    const target = new URL(String(url), location.href).href;
    const code = opts.type === 'module'
      ? `import ${JSON.stringify(PROBE)};\nimport ${JSON.stringify(target)};\n`
      : `importScripts(${JSON.stringify(PROBE)}, ${JSON.stringify(target)});\n`;
    super(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })), opts);
  }
};

// CPU-time marks: bench/run.mjs exposes benchCpu(label) and reads the browser's CPU time (all
// its processes, from /proc) when each arrives. Not awaited, so the page is not slowed.
const mark = (label) => { globalThis.benchCpu?.(label); };

const quiet = { debug() {}, log() {}, warn: (...a) => console.warn(...a), error: (...a) => console.error(...a) };

/** Each opener returns { loadMs, info, run({ ids, text, maxTokens }), close() }. */
const OPENERS = {
  // WorkerEngine (the package's default), so both engines compute off the page's thread.
  async pocketlm(blob, { nCtx, threads, build }) {
    const { WorkerEngine } = await import('/web/worker-engine.js');
    const t0 = performance.now();
    const e = await WorkerEngine.create({ threads, build });
    const t1 = performance.now();
    const info = await e.load(blob, { contextSize: nCtx });
    const loadMs = performance.now() - t0;
    return {
      loadMs, info: { createMs: t1 - t0, build: info.build, threads: info.threads, memory: info.memory },
      async run({ ids, maxTokens }) {
        // The engine reuses the KV of a prompt prefix it has seen; a 1-token run on another first
        // token first makes every timed prompt a full prefill, as for wllama (cache_prompt: false).
        for await (const _ of e.generateTokens([ids[1] ?? ids[0] + 1], { temperature: 0, maxTokens: 1 }));
        const times = [], tokens = [];
        mark('start');
        const t0 = performance.now();
        for await (const t of e.generateTokens(ids, { temperature: 0, maxTokens })) {
          times.push(performance.now() - t0);
          if (tokens.push(t) === 1) mark('first');
        }
        mark('end');
        return { times, tokens, promptTokens: ids.length - (e.stats?.reusedTokens ?? 0), internal: { ...e.stats } };
      },
      async close() { await e.dispose(); },
    };
  },

  async wllama(blob, { nCtx, threads }) {
    const { Wllama } = await import(WLLAMA);
    const t0 = performance.now();
    const w = new Wllama({ default: WLLAMA_WASM }, { suppressNativeLog: true, logger: quiet });
    // warmup: false — the bench warms both engines up the same way after load; n_gpu_layers: 0 — CPU
    await w.loadModel([blob], { n_threads: threads, n_ctx: nCtx, n_gpu_layers: 0, n_parallel: 1, warmup: false });
    const loadMs = performance.now() - t0;
    return {
      loadMs, info: { threads: w.getNumThreads(), multithread: w.isMultithread(), version: Wllama.getLibllamaVersion?.() },
      async run({ text, maxTokens }) {
        const times = [];
        let out = '', last = null;
        mark('start');
        const t0 = performance.now();
        await w.createCompletion({
          prompt: text, max_tokens: maxTokens, temperature: 0, top_k: 1, ignore_eos: true, cache_prompt: false, stream: true,
          onData: (c) => {
            const ch = c.choices?.[0];
            if (ch && ch.finish_reason === null) { if (times.push(performance.now() - t0) === 1) mark('first'); out += ch.text; }
            if (c.usage) last = c;
          },
        });
        mark('end');
        return { times, text: out, promptTokens: last?.usage?.prompt_tokens, generated: last?.usage?.completion_tokens, internal: last?.timings ?? null };
      },
      async close() { await w.exit(); },
    };
  },
};

let session = null;

globalThis.bench = {
  async open(engine, url, opts) {
    if (session) throw new Error('a session is already open');
    const res = await fetch(url);
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    const blob = await res.blob();
    session = await OPENERS[engine](blob, opts);
    return { loadMs: session.loadMs, info: session.info, crossOriginIsolated: globalThis.crossOriginIsolated };
  },
  run: (prompt) => session.run(prompt),
  memBytes: () => globalThis.__benchWasmBytes(),
  async close() { const s = session; session = null; await s?.close(); },
};
globalThis.benchReady = true;
