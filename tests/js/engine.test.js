// Engine and WorkerEngine over the shipped dist/ build: token-level generation, abort, BUSY,
// INVALID_ARG, error-code parity with the C status list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Engine } from '../../web/engine.js';
import { WorkerEngine } from '../../web/worker-engine.js';
import { ENGINE_CODES, LmError, toLmError } from '../../web/errors.js';
import { Abi } from '../../web/abi.js';
import createPocketLM from '../../dist/pocketlm.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = ROOT + 'build/pocketlm';
const MODEL = ROOT + 'build/js-test-gemma4.gguf';
const PROMPT = [2, 300, 301, 302, 303];

// A generated gemma4 model (PLE + shared KV, Q4_0) and the native CLI's greedy continuation of it.
execFileSync(CLI, ['gen', '--model', 'gemma4-e2b-tiny', '--type', 'q4_0', '--seed', '3', '-o', MODEL]);
const nativeGreedy = execFileSync(CLI, ['run', '-m', MODEL, '--tokens', PROMPT.join(','), '-n', '24', '--temp', '0'], { encoding: 'utf8' })
  .trim().split(',').map(Number);

async function collect(it) { const out = []; for await (const t of it) out.push(t); return out; }

for (const [name, Impl] of [['Engine', Engine], ['WorkerEngine', WorkerEngine]]) {
  test(`${name}: greedy tokens equal the native CLI`, async () => {
    const e = await Impl.create();
    const info = await e.load(MODEL);
    assert.equal(info.arch, 'gemma4');
    assert.ok(info.memory.weights > 0 && info.memory.kv > 0);
    assert.ok(info.tensorTypes.q4_0 > 0 && info.tensorTypes.f32 > 0, JSON.stringify(info.tensorTypes));
    const got = await collect(e.generateTokens(PROMPT, { temperature: 0, maxTokens: 24 }));
    assert.deepEqual(got, nativeGreedy.slice(0, got.length));
    assert.ok(got.length === 24 || e.stats.stopReason === 'eos');
    await e.dispose();
  });

  test(`${name}: abort mid-prefill and mid-decode leave the model usable`, async () => {
    const e = await Impl.create();
    await e.load(MODEL, { batchSize: 4 });
    const long = Array.from({ length: 200 }, (_, i) => 260 + (i * 7) % 250);
    const ctl = new AbortController();
    const it = e.generateTokens(long, { temperature: 0, maxTokens: 5, signal: ctl.signal });
    const first = it.next();
    ctl.abort();
    await assert.rejects(first, { name: 'AbortError' });
    const ctl2 = new AbortController(), got = [];
    await assert.rejects(async () => {
      for await (const t of e.generateTokens(PROMPT, { temperature: 0, maxTokens: 100, signal: ctl2.signal })) {
        got.push(t);
        if (got.length === 3) ctl2.abort();
      }
    }, { name: 'AbortError' });
    assert.equal(got.length, 3);
    assert.equal(e.stats.stopReason, 'abort', 'stats describe the stopped run');
    assert.ok(e.stats.generatedTokens >= 3 && e.stats.decodeMs > 0, JSON.stringify(e.stats));
    assert.deepEqual(await collect(e.generateTokens(PROMPT, { temperature: 0, maxTokens: 24 })), nativeGreedy);
    for await (const t of e.generateTokens(PROMPT, { temperature: 0, maxTokens: 24 })) if (t >= 0) break;   // the reader stops
    assert.equal(e.stats.stopReason, 'abort');
    assert.ok(e.stats.generatedTokens >= 1);
    await e.dispose();
  });

  test(`${name}: prefill progress counts the prompt tokens read, batch by batch`, async () => {
    const e = await Impl.create();
    await e.load(MODEL, { batchSize: 16 });
    const long = Array.from({ length: 100 }, (_, i) => 260 + (i * 7) % 250), seen = [];
    await collect(e.generateTokens(long, { temperature: 0, maxTokens: 2, onProgress: (p) => seen.push(p) }));
    assert.deepEqual(seen.map((p) => p.loaded), [0, 16, 32, 48, 64, 80, 96, 100]);
    assert.ok(seen.every((p) => p.phase === 'prefill' && p.total === 100));
    seen.length = 0;   // a continuation reuses the cached prefix: only the new tokens are read
    await collect(e.generateTokens([...long, 300, 301], { temperature: 0, maxTokens: 1, onProgress: (p) => seen.push(p) }));
    assert.ok(seen.at(-1).total < 100 && seen.at(-1).loaded === seen.at(-1).total, JSON.stringify(seen));
    await assert.rejects(e.generateTokens(PROMPT, { onProgress: 5 }).next(), (err) => err.code === 'INVALID_ARG');
    await e.dispose();
  });

  test(`${name}: a second concurrent generation is BUSY; bad options are INVALID_ARG`, async () => {
    const e = await Impl.create();
    await e.load(MODEL);
    const a = e.generateTokens(PROMPT, { maxTokens: 50 });
    const firstA = a.next();
    const b = e.generateTokens(PROMPT, { maxTokens: 5 });
    if (Impl === Engine) await assert.rejects(b.next(), (err) => err instanceof LmError && err.code === 'BUSY');
    else { await firstA; await assert.rejects(b.next(), (err) => err instanceof LmError && err.code === 'BUSY'); }
    await firstA;
    await a.return();
    await assert.rejects(e.generateTokens(PROMPT, { max_tokens: 5 }).next(), (err) => err.code === 'INVALID_ARG');
    await assert.rejects(e.generateTokens(PROMPT, { temperature: -1 }).next(), (err) => err.code === 'INVALID_ARG');
    await assert.rejects(e.generateTokens([999999], {}).next(), (err) => err.code === 'INVALID_ARG');
    await e.dispose();
  });

  test(`${name}: bad sources fail with specific codes`, async () => {
    const e = await Impl.create();
    await assert.rejects(e.load(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer), (err) => err.code === 'BAD_MAGIC');
    const bytes = readFileSync(MODEL);
    await assert.rejects(e.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 5000)), (err) => err.code === 'TRUNCATED');
    await assert.rejects(e.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length - 100)), (err) => err.code === 'TRUNCATED');
    await assert.rejects(e.load(ROOT + 'build/does-not-exist.gguf'), (err) => err.code === 'IO');
    await e.dispose();
  });
}

test('every C status code has a JS code, named the same', async () => {
  const M = await createPocketLM({ wasmBinary: readFileSync(ROOT + 'dist/pocketlm.wasm') });
  const abi = new Abi(M), names = [];
  for (let s = -1; ; s--) { const n = abi.statusName(s); if (n === 'UNKNOWN') break; names.push(n); }
  assert.deepEqual(names, [...ENGINE_CODES]);
  assert.ok(existsSync(CLI));
});

test('a wasm trap surfaces as LmError RUNTIME', async () => {
  const M = await createPocketLM({ wasmBinary: readFileSync(ROOT + 'dist/pocketlm.wasm') });
  const abi = new Abi(M);
  let err;
  try { abi.decode(0xfffffff0, [1]); } catch (e) { err = toLmError(e); }   // a context pointer past the heap: trap
  assert.ok(err instanceof LmError);
  assert.equal(err.code, 'RUNTIME');
});
