// mem-ple.mjs — resident wasm memory and decode speed with gemma4's per-layer embeddings kept
// outside the heap (pleOutOfHeap) and inside it, on one model, in Node or Chromium (the shipped
// dist/ builds, one thread). The runs must produce the same greedy tokens.
//
//   node tools/mem-ple.mjs MODEL.gguf [--ctx 4096] [--tokens 32] [--source path|stream] [--only out|in]
//   node tools/mem-ple.mjs MODEL.gguf --browser [--ctx 4096] [--tokens 32]
//     (MODEL under the repository: served from 127.0.0.1, downloaded into OPFS, then loaded from
//      there with the table read per token from the OPFS file, and with it in the heap)
//
// heap: wasm memory after the load and after the decode (bytes the engine holds resident);
// image: bytes of the file in the heap; external: bytes kept outside. Decode tok/s counts the
// generated tokens after a 5-token prompt (prefill excluded).
import { Engine } from '../web/engine.js';
import { openSync, readSync, fstatSync, closeSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
const model = args[0];
if (!model) { console.error('usage: node tools/mem-ple.mjs MODEL.gguf [--ctx 4096] [--tokens 32] [--source path|stream]'); process.exit(2); }
const nCtx = Number(opt('--ctx', 4096)), nTok = Number(opt('--tokens', 32)), kind = opt('--source', 'path');
const only = opt('--only', '');   // 'out' or 'in': one configuration per process (two 4 GB heaps may not fit)
const PROMPT = [2, 300, 301, 302, 303];
const GiB = 2 ** 30, fmt = (b) => `${(b / GiB).toFixed(3)} GiB`;

// A file as a ReadableStream (what a network download looks like to the loader, without a server).
function fileStream(path) {
  const fd = openSync(path, 'r'), size = fstatSync(fd).size;
  let pos = 0;
  return new ReadableStream({
    pull(ctl) {
      const buf = new Uint8Array(Math.min(8 << 20, size - pos));
      const n = buf.length ? readSync(fd, buf, 0, buf.length, pos) : 0;
      pos += n;
      if (n) ctl.enqueue(buf.subarray(0, n)); else { closeSync(fd); ctl.close(); }
    },
  });
}

async function run(pleOutOfHeap) {
  const e = await Engine.create();
  const t0 = performance.now();
  const info = await e.load(kind === 'stream' ? fileStream(model) : model, { contextSize: nCtx, pleOutOfHeap });
  const loadMs = performance.now() - t0;
  const heapLoaded = info.memory.heap;
  const out = [];
  let first = 0;
  const t1 = performance.now();
  for await (const t of e.generateTokens(PROMPT, { temperature: 0, maxTokens: nTok })) { out.push(t); if (out.length === 1) first = performance.now(); }
  const decodeMs = performance.now() - first;
  const heapEnd = e.heapBytes;
  const r = { pleOutOfHeap, loadMs, heapLoaded, heapEnd, ttftMs: first - t1, tokS: (out.length - 1) / (decodeMs / 1000), out, info };
  e.dispose();
  return r;
}

if (args.includes('--browser')) { await browser(); process.exit(0); }

const rows = [];
for (const ple of only ? [only === 'out'] : [true, false]) {
  const r = await run(ple);
  rows.push(r);
  console.log(`pleOutOfHeap=${ple}: heap after load ${fmt(r.heapLoaded)}, after decode ${fmt(r.heapEnd)} | weights in heap ${fmt(r.info.memory.weights)} ` +
              `external ${fmt(r.info.memory.external)} kv ${(r.info.memory.kv / 2 ** 20).toFixed(1)} MiB scratch ` +
              `${(r.info.memory.scratch / 2 ** 20).toFixed(1)} MiB | load ${(r.loadMs / 1000).toFixed(1)} s | ` +
              `first token ${(r.ttftMs / 1000).toFixed(2)} s | decode ${r.tokS.toFixed(2)} tok/s (${r.out.length} tokens)`);
}
console.log(`tokens: ${rows[0].out.join(',')}`);
const same = rows.length < 2 || JSON.stringify(rows[0].out) === JSON.stringify(rows[1].out);
if (rows.length > 1) console.log(`same greedy tokens: ${same}`);
process.exit(same ? 0 : 1);

async function browser() {
  const { serve } = await import('../tests/browser/server.mjs');
  const { launch } = await import('../tests/browser/browser.mjs');
  const { resolve, relative } = await import('node:path');
  const root = new URL('..', import.meta.url).pathname, server = await serve(root), b = await launch();
  try {
    const page = await b.context.newPage();
    await page.goto(`${server.url}/tests/browser/page.html`);
    const url = `${server.url}/${relative(root, resolve(model))}`;
    for (const [label, opts] of [['network -> OPFS, PLE out', { cache: true }], ['OPFS, PLE out (rows from the OPFS file)', { cache: true }],
                                 ['OPFS, PLE in', { cache: true, pleOutOfHeap: false }]]) {
      const r = await page.evaluate(async ({ url, opts, nCtx, nTok, prompt }) => {
        const { Engine } = await import('/web/engine.js');
        const e = await Engine.create();
        const t0 = performance.now();
        const info = await e.load(url, { ...opts, contextSize: nCtx });
        const loadMs = performance.now() - t0, out = [];
        let first = 0;
        for await (const t of e.generateTokens(prompt, { temperature: 0, maxTokens: nTok })) { out.push(t); if (out.length === 1) first = performance.now(); }
        const r = { loadMs, heap: e.heapBytes, tokS: (out.length - 1) / ((performance.now() - first) / 1000), out, info };
        e.dispose();
        return r;
      }, { url, opts, nCtx, nTok, prompt: PROMPT });
      console.log(`${label}: from ${r.info.source.from}, build ${r.info.build} | heap ${fmt(r.heap)} (weights ${fmt(r.info.memory.weights)}, ` +
                  `external ${fmt(r.info.memory.external)}) | load ${(r.loadMs / 1000).toFixed(1)} s | decode ${r.tokS.toFixed(2)} tok/s | ${r.out.join(',')}`);
      await page.reload();   // a fresh wasm instance per run
    }
    await page.evaluate(async (u) => (await import('/web/index.js')).deleteCachedModel(u), url);
  } finally { await b.close(); await server.close(); }
}
