// @ts-check
// index.js — the public entry: loadModel(), pipeline(), LmError. Everything a page needs.
import { Engine } from './engine.js';
import { WorkerEngine } from './worker-engine.js';
import { LmError, CODES } from './errors.js';
import { loadOptions } from './options.js';
import { pipeline, TextStreamer } from './pipeline.js';
import { listCached, deleteCached } from './cache.js';

export { LmError, CODES, pipeline, TextStreamer };

/**
 * Models the browser keeps for this origin (OPFS, or the Cache API where OPFS cannot be written);
 * only complete, verified downloads are ever listed. Empty in Node.
 * @returns {Promise<Array<{ url: string, size: number, etag?: string, cachedAt: number }>>} size in bytes, cachedAt in ms since the epoch
 * @example for (const m of await listCachedModels()) console.log(m.url, (m.size / 2 ** 30).toFixed(2), 'GiB');
 */
export async function listCachedModels() { return listCached(); }

/**
 * Deletes a cached model (a gguf-split model by any of its shard URLs, or the URL it was loaded with).
 * @returns {Promise<boolean>} whether there was an entry
 */
export async function deleteCachedModel(url) {
  if (typeof url !== 'string' && !(url instanceof URL)) throw new LmError('INVALID_ARG', 'deleteCachedModel needs a URL');
  return deleteCached(String(url));
}

/**
 * Loads a GGUF model: streams it into a wasm heap (in a Worker by default) and returns a Model.
 * URLs download as parallel byte ranges that resume after dropped connections, are cached
 * (OPFS / Cache API) once complete and verified, and load from that cache first, offline too.
 * gguf-split models load from a list of shards or the first shard's URL (-00001-of-0000N.gguf).
 * @param {string | URL | Blob | ArrayBuffer | ArrayBufferView | ReadableStream<Uint8Array> | Array<string | URL | Blob | ArrayBuffer>} source
 *   URL, File/Blob, bytes, a byte stream, or (Node) a filesystem path; a list for gguf-split shards
 * @param {{ onProgress?: (p: { phase: string, loaded: number, total?: number }) => void,
 *           signal?: AbortSignal, contextSize?: number, batchSize?: number, kvCache?: 'f16' | 'q8', worker?: boolean,
 *           threads?: number, wasmUrl?: string | URL, wasmBinary?: ArrayBuffer, cache?: boolean,
 *           sha256?: string | string[], parallel?: number, retries?: number, timeoutMs?: number,
 *           pleOutOfHeap?: boolean }} [options]
 * @returns {Promise<Model>}
 * @throws {LmError} FETCH, IO, BAD_MAGIC, TRUNCATED, CORRUPT (also a sha256 mismatch), UNSUPPORTED_*,
 *   TOO_LARGE, NOMEM, QUOTA (not enough storage to cache: retry with { cache: false }), INVALID_ARG
 * @example
 *   const lm = await loadModel('https://example.com/gemma-4-E2B-it-Q4_0.gguf', { onProgress: console.log });
 *   console.log(await lm.generate('Write a haiku about the sea', { maxTokens: 64 }));
 */
export async function loadModel(source, options) {
  const o = loadOptions(options);
  if (source instanceof URL) source = source.href;
  if (Array.isArray(source)) source = source.map((s) => (s instanceof URL ? s.href : s));
  const engine = o.worker ? await WorkerEngine.create(o) : await Engine.create(o);
  try {
    await engine.load(source, { onProgress: o.onProgress, signal: o.signal, contextSize: o.contextSize, batchSize: o.batchSize, kvCache: o.kvCache,
                                cache: o.cache, sha256: o.sha256, parallel: o.parallel, retries: o.retries, timeoutMs: o.timeoutMs,
                                pleOutOfHeap: o.pleOutOfHeap });
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
