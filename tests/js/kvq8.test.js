// The int8 KV cache through the JS API ({ kvCache: 'q8' }) over the shipped dist/ build: the same
// greedy tokens as the native CLI (`--kv q8`) across sliding-window ring wraps, prefix reuse equal to
// a fresh prefill, the smaller memory plan, and INVALID_ARG for other values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Engine } from '../../web/engine.js';
import { WorkerEngine } from '../../web/worker-engine.js';
import { loadModel } from '../../web/index.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = ROOT + 'build/pocketlm';
const MODEL = ROOT + 'build/js-test-kvq8.gguf';
// 70 tokens: past gemma4-e2b-tiny's window of 16, so its rings (16 + batchSize cells) wrap
const PROMPT = [2, ...Array.from({ length: 69 }, (_, i) => 260 + (i * 37) % 250)];

execFileSync(CLI, ['gen', '--model', 'gemma4-e2b-tiny', '--type', 'q4_0', '--seed', '5', '-o', MODEL]);
const native = (kv) => execFileSync(CLI, ['run', '-m', MODEL, '--tokens', PROMPT.join(','), '-n', '16', '--temp', '0', '--kv', kv],
  { encoding: 'utf8' }).trim().split(',').map(Number);
const nativeQ8 = native('q8'), nativeF16 = native('f16');

async function collect(it) { const out = []; for await (const t of it) out.push(t); return out; }

for (const [name, Impl] of [['Engine', Engine], ['WorkerEngine', WorkerEngine]]) {
  test(`${name}: kvCache 'q8' gives the native CLI's tokens, with half the KV memory`, async () => {
    const e = await Impl.create(), f = await Impl.create();
    const info = await e.load(MODEL, { kvCache: 'q8', batchSize: 8 }), info16 = await f.load(MODEL, { batchSize: 8 });
    assert.equal(info.kvCache, 'q8');
    assert.equal(info16.kvCache, 'f16');
    assert.ok(info.memory.kv < 0.6 * info16.memory.kv && info.memory.kv > 0.5 * info16.memory.kv, `${info.memory.kv} vs ${info16.memory.kv}`);
    const got = await collect(e.generateTokens(PROMPT, { temperature: 0, maxTokens: 16 }));
    assert.deepEqual(got, nativeQ8.slice(0, got.length));
    assert.deepEqual(await collect(f.generateTokens(PROMPT, { temperature: 0, maxTokens: 16 })), nativeF16.slice(0, got.length));
    await e.dispose();
    await f.dispose();
  });
}

test("kvCache 'q8': a prompt sharing a prefix reuses the cache and equals a fresh prefill", async () => {
  const e = await Engine.create(), fresh = await Engine.create();
  await e.load(MODEL, { kvCache: 'q8', batchSize: 32 });
  await fresh.load(MODEL, { kvCache: 'q8', batchSize: 32 });
  await collect(e.generateTokens(PROMPT, { temperature: 0, maxTokens: 4 }));
  const next = [...PROMPT.slice(0, 66), 300, 301, 302];   // 70 + 4 tokens cached; 66 of them shared
  const got = await collect(e.generateTokens(next, { temperature: 0, maxTokens: 8 }));
  assert.equal(e.stats.reusedTokens, 66);
  assert.deepEqual(got, await collect(fresh.generateTokens(next, { temperature: 0, maxTokens: 8 })));
  await e.dispose();
  await fresh.dispose();
});

test('kvCache: values other than f16 and q8 are INVALID_ARG', async () => {
  for (const kvCache of ['q4', 'Q8', 8, null]) {
    await assert.rejects(loadModel(MODEL, { kvCache, worker: false }), (err) => err.code === 'INVALID_ARG' && /kvCache/.test(err.message));
    const e = await Engine.create();
    await assert.rejects(e.load(MODEL, { kvCache }), (err) => err.code === 'INVALID_ARG');
    e.dispose();
  }
});
