// @ts-check
// index.js — the public entry: loadModel(), pipeline(), LmError. Everything a page needs.
import { Engine } from './engine.js';
import { WorkerEngine } from './worker-engine.js';
import { LmError, CODES } from './errors.js';
import { loadOptions } from './options.js';
import { pipeline, TextStreamer } from './pipeline.js';

export { LmError, CODES, pipeline, TextStreamer };

/**
 * Loads a GGUF model: streams it into a wasm heap (in a Worker by default) and returns a Model.
 * @param {string | URL | Blob | ArrayBuffer | ArrayBufferView | ReadableStream<Uint8Array>} source
 *   URL, File/Blob, bytes, a byte stream, or (Node) a filesystem path
 * @param {{ onProgress?: (p: { phase: string, loaded: number, total?: number }) => void,
 *           signal?: AbortSignal, contextSize?: number, batchSize?: number, worker?: boolean,
 *           threads?: number, wasmUrl?: string | URL, wasmBinary?: ArrayBuffer }} [options]
 * @returns {Promise<Model>}
 * @throws {LmError} FETCH, IO, BAD_MAGIC, TRUNCATED, CORRUPT, UNSUPPORTED_*, TOO_LARGE, NOMEM, INVALID_ARG
 * @example
 *   const lm = await loadModel('https://example.com/gemma-4-E2B-it-Q4_0.gguf', { onProgress: console.log });
 *   console.log(await lm.generate('Write a haiku about the sea', { maxTokens: 64 }));
 */
export async function loadModel(source, options) {
  const o = loadOptions(options);
  if (source instanceof URL) source = source.href;
  const engine = o.worker ? await WorkerEngine.create(o) : await Engine.create(o);
  try {
    await engine.load(source, { onProgress: o.onProgress, signal: o.signal, contextSize: o.contextSize, batchSize: o.batchSize });
  } catch (e) {
    await engine.dispose();
    throw e;
  }
  return new Model(engine);
}

/** A loaded model. One generation at a time (a second concurrent call rejects with BUSY). */
export class Model {
  #engine;
  /** @param {Engine | WorkerEngine} engine */
  constructor(engine) { this.#engine = engine; }

  /** Architecture, sizes, special tokens and memory (weights/KV/scratch bytes). */
  get info() { return this.#engine.info; }
  /** Counters of the last generation: promptTokens, generatedTokens, stopReason, prefillMs, decodeMs. */
  get stats() { return this.#engine.stats; }

  /**
   * Streams the continuation of a prompt (string) or a conversation ([{ role, content }], rendered
   * with the model's chat template) as text pieces.
   * @param {string | Array<{ role: string, content: string }>} input
   * @param {object} [options] maxTokens, temperature, topK, topP, minP, repeatPenalty,
   *   presencePenalty, frequencyPenalty, penaltyLastN, seed, stop, signal
   * @returns {AsyncIterable<{ text: string, token: number }>}
   * @example for await (const { text } of lm.stream('Once upon a time', { maxTokens: 32 })) out.append(text);
   */
  stream(input, options) { return this.#engine.stream(input, options); }

  /**
   * Generates a continuation and resolves to the whole text (`stream` collected).
   * @returns {Promise<string>}
   * @example const reply = await lm.generate([{ role: 'user', content: 'Hi!' }], { maxTokens: 64 });
   */
  async generate(input, options) {
    let text = '';
    for await (const piece of this.#engine.stream(input, options)) text += piece.text;
    return text;
  }

  /** A multi-turn conversation that reuses the KV cache of the shared prefix between turns. */
  chat({ system } = {}) { return new Chat(this, system); }

  /** @returns {Promise<number[]>} token ids of text (`special`: parse control-token text) */
  async tokenize(text, { special = false } = {}) { return this.#engine.tokenize(text, special); }
  /** @returns {Promise<string>} the text of token ids */
  async detokenize(ids) { return this.#engine.detokenize(ids); }
  /** Frees the model (and its Worker). */
  async dispose() { await this.#engine.dispose(); }
}

export class Chat {
  #model;
  /** @type {Array<{ role: string, content: string }>} */ messages = [];
  constructor(model, system) {
    this.#model = model;
    if (system) this.messages.push({ role: 'system', content: system });
  }
  /** Streams the reply to `text`; the exchange is added to `messages` when the reply completes. */
  async *stream(text, options) {
    this.messages.push({ role: 'user', content: text });
    let reply = '';
    try {
      for await (const piece of this.#model.stream(this.messages, { ...options })) { reply += piece.text; yield piece; }
    } catch (e) {
      this.messages.pop();
      throw e;
    }
    this.messages.push({ role: 'assistant', content: reply });
  }
  /** @returns {Promise<string>} the reply to `text` */
  async send(text, options) {
    let reply = '';
    for await (const piece of this.stream(text, options)) reply += piece.text;
    return reply;
  }
}
