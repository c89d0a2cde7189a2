// The public text API over the shipped dist/ build, in a Worker (default) and in-thread:
// llama.cpp's greedy text on the real stories260K model, stream == generate, stop strings,
// multi-turn chat reusing the KV cache, tokenizer parity with the native CLI, pipeline().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadModel, pipeline, TextStreamer, LmError } from '../../web/index.js';
import { openModel, closeModel, greedy } from '../conformance/llama-ref.mjs';

const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = ROOT + 'build/pocketlm';
const STORIES = ROOT + '../shared/data/stories260K.gguf';
const CHAT_MODEL = ROOT + 'build/js-test-chat.gguf';
execFileSync(CLI, ['gen', '--model', 'gemma4-e2b-tiny', '--type', 'q8_0', '--seed', '9', '-o', CHAT_MODEL]);

async function collect(it) { let s = ''; for await (const p of it) s += p.text; return s; }

test('stories260K: greedy text equals llama.cpp', { skip: !existsSync(STORIES) && 'needs ../shared/data/stories260K.gguf' }, async () => {
  const h = await openModel(STORIES, 128, 512);
  const prompt = [h.model.tokens.bos, ...h.model.tokenize('Once upon a time')];
  const ref = h.model.detokenize(await greedy(h, prompt, 48));
  await closeModel(h);
  for (const worker of [true, false]) {
    const lm = await loadModel(STORIES, { worker });
    const text = await lm.generate('Once upon a time', { temperature: 0, maxTokens: 48 });
    assert.equal(text, ref.slice(0, text.length));
    assert.ok(text.length > 100, text);
    assert.deepEqual(await lm.tokenize('Once upon a time'), prompt);
    await lm.dispose();
  }
});

for (const worker of [true, false]) {
  const mode = worker ? 'Worker' : 'in-thread';

  test(`${mode}: stream and generate give the same text; stop strings cut it`, async () => {
    const lm = await loadModel(CHAT_MODEL, { worker });
    const opts = { temperature: 0.8, seed: 42, maxTokens: 40 };
    const a = await lm.generate('hello there', opts), b = await collect(lm.stream('hello there', opts));
    assert.equal(a, b);
    assert.ok(a.length > 0);
    const stop = a.slice(10, 13);
    const cut = await lm.generate('hello there', { ...opts, stop: [stop] });
    assert.equal(cut, a.slice(0, a.indexOf(stop)));
    assert.equal(lm.stats.stopReason, 'stop');
    await lm.dispose();
  });

  test(`${mode}: a chat reuses the cache of its shared prefix and answers as a fresh prefill would`, async () => {
    const lm = await loadModel(CHAT_MODEL, { worker });
    const chat = lm.chat({ system: 'be brief' });
    await chat.send('hello there', { temperature: 0, maxTokens: 12 });
    const first = { ...lm.stats };
    const reply2 = await chat.send('and then what', { temperature: 0, maxTokens: 12 });
    const second = { ...lm.stats };
    assert.equal(first.reusedTokens, 0);
    assert.ok(second.reusedTokens > first.promptTokens / 2, JSON.stringify(second));
    // turn 2 re-prefills only its new material, plus the few tokens where the history rendering
    // leaves turn 1's generation prompt (the empty thought channel) and the re-tokenized reply
    const newMaterial = second.promptTokens - first.promptTokens;
    assert.ok(second.promptTokens - second.reusedTokens <= newMaterial + 16, JSON.stringify({ first, second }));
    const fresh = await loadModel(CHAT_MODEL, { worker });
    assert.equal(await fresh.generate(chat.messages.slice(0, -1), { temperature: 0, maxTokens: 12 }), reply2);
    assert.equal(fresh.stats.reusedTokens, 0);
    await fresh.dispose();
    await lm.dispose();
  });

  test(`${mode}: tokenize/detokenize equal the native CLI`, async () => {
    const lm = await loadModel(CHAT_MODEL, { worker });
    const strings = ['hello world', 'ab  cd\n\nef', 'üñí€ 😀', '<|turn>user', ''];
    const native = JSON.parse(execFileSync(CLI, ['tokenize', '-m', CHAT_MODEL, '--json'], { input: JSON.stringify(strings), encoding: 'utf8' }));
    for (let i = 0; i < strings.length; i++) {
      const ids = await lm.tokenize(strings[i]);
      assert.deepEqual(ids.slice(ids[0] === lm.info.bos ? 1 : 0), native[i], strings[i]);
      assert.equal(await lm.detokenize(native[i]), strings[i]);
    }
    await lm.dispose();
  });
}

test('pipeline(): Transformers.js-style calls, streamer, option checks', async () => {
  const events = [];
  const gen = await pipeline('text-generation', CHAT_MODEL, { progress_callback: (p) => events.push(p.status) });
  assert.ok(events.includes('ready'));
  let streamed = '';
  const streamer = new TextStreamer(gen.tokenizer, { callback_function: (t) => { streamed += t; } });
  const out = await gen([{ role: 'user', content: 'hi' }], { max_new_tokens: 8, do_sample: false, streamer });
  const last = out[0].generated_text.at(-1);
  assert.equal(last.role, 'assistant');
  assert.equal(last.content, streamed);
  const plain = await gen('hello', { max_new_tokens: 5 });
  assert.ok(plain[0].generated_text.startsWith('hello'));
  await assert.rejects(gen('hello', { max_tokens: 5 }), (e) => e instanceof LmError && e.code === 'INVALID_ARG');
  await assert.rejects(pipeline('summarization', CHAT_MODEL), (e) => e.code === 'INVALID_ARG');
  await gen.dispose();
});

test('chat without a template is UNSUPPORTED; unknown load options are INVALID_ARG', { skip: !existsSync(STORIES) && 'needs stories260K' }, async () => {
  const lm = await loadModel(STORIES, { worker: false });
  await assert.rejects(lm.generate([{ role: 'user', content: 'hi' }]), (e) => e.code === 'UNSUPPORTED');
  await assert.rejects(lm.generate([{ role: 'wizard', content: 'hi' }]), (e) => e.code === 'INVALID_ARG');
  await lm.dispose();
  await assert.rejects(loadModel(STORIES, { context_size: 8 }), (e) => e.code === 'INVALID_ARG');
});
