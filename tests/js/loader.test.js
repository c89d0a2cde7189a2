// Loader in Node: the same loader as in browsers, over Node's global fetch and file paths, against
// tests/browser/fault-server.mjs. Each case ends with the native CLI's greedy tokens or the right
// LmError code, within a bounded time; PLE kept outside the heap gives the same tokens as inside.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { Engine } from '../../web/engine.js';
import { faultServer } from '../browser/fault-server.mjs';
import { canonicalUrl, shardNames } from '../../web/sources.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = ROOT + 'build/pocketlm';
const DIR = 'build/loader-test';
const MODEL = `${DIR}/g4.gguf`;          // gemma4 with per_layer_token_embd, Q4_0 (~4 MB: 4 parallel ranges)
const SHARDS = `${DIR}/g4split`;         // the same model as 3 gguf-split shards
const PROMPT = [2, 300, 301, 302, 303];
const N = 8;
const FAST = { retries: 2, timeoutMs: 2000 };   // failure cases give up quickly

let srv, native, bytes;

before(async () => {
  mkdirSync(ROOT + DIR, { recursive: true });
  execFileSync(CLI, ['gen', '--model', 'gemma4-e2b-tiny', '--type', 'q4_0', '--seed', '9', '-o', ROOT + MODEL]);
  execFileSync(CLI, ['split', ROOT + MODEL, ROOT + SHARDS, '3']);
  native = execFileSync(CLI, ['run', '-m', ROOT + MODEL, '--tokens', PROMPT.join(','), '-n', String(N), '--temp', '0'], { encoding: 'utf8' })
    .trim().split(',').map(Number);
  bytes = readFileSync(ROOT + MODEL);
  srv = await faultServer(ROOT);
});
after(() => srv?.close());

async function greedy(source, opts = {}) {
  const e = await Engine.create();
  try {
    const info = await e.load(source, opts);
    const out = [];
    for await (const t of e.generateTokens(PROMPT, { temperature: 0, maxTokens: N })) out.push(t);
    return { out, info };
  } finally { e.dispose(); }
}

const url = (q = '', file = MODEL) => `${srv.url}/m/${file}${q ? '?' + q : ''}`;

// Runs a load that must fail with `code` within `ms`.
async function fails(source, code, opts = {}, ms = 15000) {
  const t0 = Date.now();
  await assert.rejects(greedy(source, { ...FAST, ...opts }), (e) => { assert.equal(e.code, code, e.message); return true; });
  assert.ok(Date.now() - t0 < ms, `took ${Date.now() - t0} ms`);
}

test('parallel byte ranges: 4 ranges, same tokens as the native CLI', async () => {
  srv.reset();
  const { out, info } = await greedy(url());
  assert.deepEqual(out, native);
  assert.equal(info.source.from, 'network');
  const ranged = srv.log.filter((r) => r.range && r.range !== 'bytes=0-');
  assert.ok(ranged.length >= 3, `${ranged.length} ranged requests`);
});

test('PLE outside the heap gives the same tokens; the heap holds the file minus the table', async () => {
  const out = await greedy(ROOT + MODEL, { pleOutOfHeap: true }), inside = await greedy(ROOT + MODEL, { pleOutOfHeap: false });
  assert.deepEqual(out.out, native);
  assert.deepEqual(inside.out, native);
  assert.ok(out.info.memory.external > 0 && inside.info.memory.external === 0);
  assert.equal(out.info.memory.weights + out.info.memory.external, inside.info.memory.weights);
});

test('Node sources: path, ArrayBuffer, Blob, ReadableStream (PLE in and out)', async () => {
  const copy = () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  for (const pleOutOfHeap of [true, false]) {
    assert.deepEqual((await greedy(ROOT + MODEL, { pleOutOfHeap })).out, native);
    assert.deepEqual((await greedy(copy(), { pleOutOfHeap })).out, native);
    assert.deepEqual((await greedy(new Blob([bytes]), { pleOutOfHeap })).out, native);
    assert.deepEqual((await greedy(new Blob([bytes]).stream(), { pleOutOfHeap })).out, native);
  }
});

test('Range refused: one plain stream; refused after the first response: the other ranges stop, one stream goes on', async () => {
  srv.reset();
  assert.deepEqual((await greedy(url('range=0'))).out, native);
  assert.equal(srv.log.length, 1);
  srv.reset();
  assert.deepEqual((await greedy(url('range=first'))).out, native);
  assert.ok(srv.log.length >= 3 && srv.log.at(-1).range === undefined, JSON.stringify(srv.log));
});

test('no Content-Length (chunked), with and without Range', async () => {
  assert.deepEqual((await greedy(url('length=0'))).out, native);
  assert.deepEqual((await greedy(url('length=0&range=0'))).out, native);
});

test('a dropped connection resumes from the last byte received', async () => {
  srv.reset();
  assert.deepEqual((await greedy(url('drop=500000'))).out, native);   // inside the first range (the first response)
  assert.ok(srv.log.some((r) => r.range?.startsWith('bytes=500000-')), JSON.stringify(srv.log));
  srv.reset();
  assert.deepEqual((await greedy(url('drop=1500000'))).out, native);  // inside another range
  assert.ok(srv.log.some((r) => r.range?.startsWith('bytes=1500000-')), JSON.stringify(srv.log));
  srv.reset();
  assert.deepEqual((await greedy(url('drop=1500000&range=0'))).out, native);   // no Range: restart from 0
  assert.equal(srv.log.length, 2);
});

test('connections dropped again and again: ranges still get there; one plain stream cannot', async () => {
  assert.deepEqual((await greedy(url('dropEvery=400000'), { parallel: 2 })).out, native);
  await fails(url('dropEvery=400000&range=0'), 'FETCH');
});

test('fewer bytes than announced: once is survived, always is FETCH', async () => {
  srv.reset();
  assert.deepEqual((await greedy(url('shortOnce=5000&range=0'))).out, native);
  await fails(url('short=5000&range=0'), 'FETCH');
});

test('a wrong Content-Length', async () => {
  assert.deepEqual((await greedy(url('lie=100&range=0'))).out, native);   // more than the file: the model's bytes are all there
  await fails(url('lie=-100&range=0'), 'TRUNCATED');                       // less than the model needs
});

test('404, an HTML page, and a non-GGUF body fail fast', async () => {
  srv.reset();
  await fails(url('status=404'), 'FETCH', {}, 3000);
  assert.equal(srv.log.length, 1, 'a 404 is not retried');
  await fails(url('html=1'), 'BAD_MAGIC', {}, 3000);
  await fails(url('status=503'), 'FETCH');   // retried, then given up
});

test('a slow server loads with progress at least every 100 ms; a stalled one times out', async () => {
  const events = [];
  const { out } = await greedy(url('slow=5'), { onProgress: (p) => events.push({ ...p, t: Date.now() }) });
  assert.deepEqual(out, native);
  assert.ok(events.every((p) => p.phase === 'download'));
  const gaps = events.slice(1).map((p, i) => p.t - events[i].t);
  assert.ok(Math.max(...gaps) < 400, `progress gap ${Math.max(...gaps)} ms`);
  assert.equal(events.at(-1).loaded, events.at(-1).total);
  await fails(url('stall=100000&range=0'), 'FETCH', { timeoutMs: 300, retries: 1 }, 5000);
  assert.deepEqual((await greedy(url('stall=1000000'), { timeoutMs: 300 })).out, native);   // stalls, but each retry gets further
});

test('Hugging Face style /resolve/ redirect: ranges go to the redirect target', async () => {
  srv.reset();
  assert.deepEqual((await greedy(`${srv.url}/hf/org/repo/resolve/main/${MODEL}`)).out, native);
  assert.equal(srv.log.filter((r) => r.path.startsWith('/hf/')).length, 1);
});

test('gguf-split shards: first URL, a list in any order, paths; PLE in whichever shard', async () => {
  const names = [1, 2, 3].map((k) => `${SHARDS}-0000${k}-of-00003.gguf`);
  srv.reset();
  const r = await greedy(url('', names[0]));
  assert.deepEqual(r.out, native);
  assert.equal(r.info.source.shards, 3);
  assert.equal(new Set(srv.log.map((l) => l.path)).size, 3);
  assert.deepEqual((await greedy([names[2], names[0], names[1]].map((n) => url('', n)))).out, native);
  assert.deepEqual((await greedy(ROOT + names[0], { pleOutOfHeap: false })).out, native);
  assert.deepEqual((await greedy(names.map((n) => new Blob([readFileSync(ROOT + n)])))).out, native);
  await fails(new Blob([readFileSync(ROOT + names[1])]), 'INVALID_ARG');   // one shard alone
  await fails([ROOT + names[0], ROOT + names[1]], 'INVALID_ARG');           // a shard missing
});

test('sha256: verified while streaming; a mismatch is CORRUPT', async () => {
  const hex = createHash('sha256').update(bytes).digest('hex');
  assert.deepEqual((await greedy(url(), { sha256: hex })).out, native);
  assert.deepEqual((await greedy(url('range=0'), { sha256: hex.toUpperCase() })).out, native);
  assert.deepEqual((await greedy(ROOT + MODEL, { sha256: hex })).out, native);   // the table is hashed from the file
  await fails(url(), 'CORRUPT', { sha256: '0'.repeat(64) });
  await fails(url(), 'INVALID_ARG', { sha256: 'abc' });
});

test('abort during a download ends with AbortError promptly', async () => {
  const ctl = new AbortController(), e = await Engine.create();
  const t0 = Date.now();
  const p = e.load(url('slow=20'), { signal: ctl.signal });
  setTimeout(() => ctl.abort(), 150);
  await assert.rejects(p, { name: 'AbortError' });
  assert.ok(Date.now() - t0 < 2000);
  assert.deepEqual((await (async () => { await e.load(ROOT + MODEL); const o = []; for await (const t of e.generateTokens(PROMPT, { temperature: 0, maxTokens: N })) o.push(t); return o; })()), native);
  e.dispose();
});

test('unknown loader options are INVALID_ARG', async () => {
  await fails(ROOT + MODEL, 'INVALID_ARG', { parallell: 2 });
  await fails(ROOT + MODEL, 'INVALID_ARG', { retries: -1 });
});

test('names: Hugging Face page URLs become /resolve/ URLs; a shard name gives all of them', () => {
  assert.equal(canonicalUrl('https://huggingface.co/org/repo/blob/main/m-Q4_0.gguf'), 'https://huggingface.co/org/repo/resolve/main/m-Q4_0.gguf');
  assert.equal(canonicalUrl('https://example.com/org/repo/blob/main/m.gguf'), 'https://example.com/org/repo/blob/main/m.gguf');
  assert.deepEqual(shardNames('https://h/x/m-00002-of-00003.gguf?download=true'),
    [1, 2, 3].map((k) => `https://h/x/m-0000${k}-of-00003.gguf?download=true`));
  assert.deepEqual(shardNames('/models/m-00001-of-00002.gguf'), ['/models/m-00001-of-00002.gguf', '/models/m-00002-of-00002.gguf']);
  assert.equal(shardNames('https://h/m.gguf'), null);
  assert.equal(shardNames('https://h/m-00001-of-00001.gguf'), null);
});
