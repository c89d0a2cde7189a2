// @ts-check
// engine.js — Engine: the in-thread implementation (the Worker proxies the same interface).
// Owns one wasm instance, one model and one context; one generation at a time.
import { Abi } from './abi.js';
import { LmError, throwIfAborted, toLmError } from './errors.js';
import { loadIntoHeap } from './loader.js';
import { readRows } from './ext-store.js';
import { generateOptions, loadOptions } from './options.js';
import { TextStream } from './text-stream.js';

const ROLES = Object.freeze({ system: 0, user: 1, assistant: 2, model: 2 });   // lm_chat_role

const isNode = typeof process === 'object' && !!process.versions?.node;

/** True where the threads build can run: SharedArrayBuffer in a cross-origin isolated page/worker. */
export const threadsAvailable = () => !isNode && typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true;

// A minimal module whose one function uses i32x4.relaxed_dot_i8x16_i7x16_add_s: it validates only
// where relaxed SIMD is supported.
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  ...[0, 1, 2].flatMap(() => [253, 12, ...new Array(16).fill(0)]), 253, 147, 2, 11,
]);
/** True where the relaxed-SIMD build can run (Chrome/Edge 114+, Firefox 146+; not Node 20). */
export const relaxedAvailable = () => !isNode && WebAssembly.validate(RELAXED_PROBE);

// Picks the build: SIMD128 + pthreads when more than one thread is asked for and the context is
// cross-origin isolated; else relaxed SIMD where it validates; else plain SIMD128. Node uses the
// last and is given the wasm bytes (Emscripten 3.1.6's ES-module glue cannot fetch a file path).
// Every build gives the same bits, so the choice only changes speed.
async function instantiate({ wasmBinary, wasmUrl, threads = 1, build } = {}) {
  const mt = threads > 1 && threadsAvailable();
  const kind = build ?? (mt ? 'threads' : relaxedAvailable() ? 'relaxed' : 'simd128');
  const factory = kind === 'threads' ? (await import('../dist/pocketlm-mt.mjs')).default
    : kind === 'relaxed' ? (await import('../dist/pocketlm-relaxed.mjs')).default
    : (await import('../dist/pocketlm.mjs')).default;
  if (!wasmBinary && isNode) {
    const fs = await import('node:fs');
    wasmBinary = fs.readFileSync(wasmUrl ?? new URL('../dist/pocketlm.wasm', import.meta.url));
  }
  const opts = {};
  if (wasmBinary && kind === 'simd128') opts.wasmBinary = wasmBinary;
  else if (wasmUrl && kind === 'simd128') opts.locateFile = () => String(wasmUrl);
  const M = await factory(opts);
  M.threads = kind === 'threads' ? threads : 1;
  M.build = kind;
  return M;
}

function commonPrefix(a, b) {
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  return k;
}

// Lets queued events (abort, messages) run between tokens without the 4 ms timer clamp.
const yieldNow = typeof setImmediate === 'function' ? () => new Promise((r) => setImmediate(r))
  : (() => { const ch = new MessageChannel(), q = []; ch.port1.onmessage = () => q.shift()?.(); return () => new Promise((r) => { q.push(r); ch.port2.postMessage(0); }); })();

export class Engine {
  #abi; #model = 0; #ctx = 0; #busy = false; #dead = null;
  /** @type {Array<{ ptr: number }>} heap buffers holding the model file (loader.js pieces) */ #pieces = [];
  /** the per-layer embedding table kept outside the heap, and the context's staging rows for it */
  #ext = null; #extRows = null;
  /** @type {number[]} tokens whose K/V are in the context, in order */ #cached = [];
  /** @type {any} */ #info = null;
  /** @type {{ promptTokens: number, generatedTokens: number, stopReason: string, prefillMs: number, decodeMs: number } | null} */
  stats = null;

  /** @private */ constructor(M) { this.#abi = new Abi(M); }

  /** Instantiates the wasm module (Node reads dist/pocketlm.wasm; browsers fetch it beside the module). */
  static async create(opts = {}) { return new Engine(await instantiate(opts)); }

  /** Streams a model into the heap, validates it and creates a context. */
  async load(source, options) {
    const o = loadOptions(options);
    this.#guard();
    this.#busy = true;
    try {
      const r = await loadIntoHeap(this.#abi, source, {
        signal: o.signal, onProgress: o.onProgress, nCtx: o.contextSize, nBatch: o.batchSize, kvCache: o.kvCache, cache: o.cache, sha256: o.sha256,
        parallel: o.parallel, retries: o.retries, timeoutMs: o.timeoutMs, pleOutOfHeap: o.pleOutOfHeap });
      this.#release();
      this.#cached = [];
      this.#pieces = r.pieces;
      this.#ext = r.ext;
      this.#model = this.#abi.modelLoad(r.pieces, !!r.ext);
      this.#ctx = this.#abi.ctxNew(this.#model, o.contextSize, o.batchSize, this.#abi.M.threads, o.kvCache);
      this.#extRows = r.ext ? this.#abi.ctxExtRows(this.#ctx) : null;
      const { plan } = r;
      this.#info = { ...this.#abi.modelInfo(this.#model), tensorTypes: this.#abi.tensorTypes(this.#model),
                     threads: this.#abi.M.threads, build: this.#abi.M.build, kvCache: o.kvCache,
                     memory: { weights: plan.weights, kv: plan.kv, scratch: plan.scratch, external: plan.external, heap: this.#abi.heapBytes() },
                     source: r.origin };
      this.batchSize = Math.min(o.batchSize || 32, this.#extRows?.cap ?? Infinity);
      return this.#info;
    } catch (e) {
      throw this.#fail(e);
    } finally { this.#busy = false; }
  }

  get info() { return this.#info; }
  /** Bytes of wasm memory now (info.memory.heap is the figure right after the load). */
  get heapBytes() { return this.#abi.heapBytes(); }

  /**
   * Streams the continuation of a prompt string (tokenized with BOS as the model wants) or of a
   * message list (rendered with the model's chat template) as text pieces. Text is held back
   * while it could be the start of a stop string or an unfinished UTF-8 character.
   * @returns {AsyncGenerator<{ text: string, token: number }>}
   */
  async *stream(input, options) {
    const o = generateOptions(options);
    this.#guard();
    this.#requireModel();
    const ids = this.#promptIds(input), ts = new TextStream(o.stop);
    for await (const t of this.#generate(ids, o)) {
      const text = ts.push(this.#abi.tokenBytes(this.#model, t, false));
      if (ts.stopped) { this.stats.stopReason = 'stop'; if (text) yield { text, token: t }; return; }
      if (text) yield { text, token: t };
    }
    const tail = ts.finish();
    if (tail) yield { text: tail, token: -1 };
  }

  /** Continues `prompt` (token ids) and yields each new token id (no text processing). */
  async *generateTokens(prompt, options) {
    const o = generateOptions(options);
    this.#guard();
    this.#requireModel();
    if (!Array.isArray(prompt) || prompt.length === 0) throw new LmError('INVALID_ARG', 'the prompt needs at least one token');
    yield* this.#generate(prompt, o);
  }

  /** @returns {number[]} token ids (`special`: text spelling control tokens becomes them) */
  tokenize(text, special = false) {
    if (typeof text !== 'string') throw new LmError('INVALID_ARG', 'tokenize needs a string');
    this.#requireModel();
    return this.#abi.tokenize(this.#model, text, !special, special);
  }

  /** @returns {string} the text of token ids (control tokens omitted) */
  detokenize(ids) {
    if (!Array.isArray(ids) || !ids.every((t) => Number.isInteger(t))) throw new LmError('INVALID_ARG', 'detokenize needs an array of token ids');
    this.#requireModel();
    return this.#abi.detokenize(this.#model, ids, false, false);
  }

  /** The prompt text a message list renders to with the model's chat template. */
  renderChat(messages, { addGenerationPrompt = true, enableThinking = false } = {}) {
    this.#requireModel();
    if (!Array.isArray(messages) || messages.length === 0) throw new LmError('INVALID_ARG', 'messages must be a non-empty array of { role, content }');
    const msgs = messages.map((m, i) => {
      const role = ROLES[m?.role];
      if (role === undefined || typeof m.content !== 'string')
        throw new LmError('INVALID_ARG', `message ${i}: role must be system, user or assistant and content a string`);
      return { role, content: m.content };
    });
    return this.#abi.chatRender(this.#model, msgs, 0, (addGenerationPrompt ? 1 : 0) | (enableThinking ? 2 : 0));
  }

  #promptIds(input) {
    if (typeof input === 'string') {
      if (!input) throw new LmError('INVALID_ARG', 'the prompt is empty');
      return this.#abi.tokenize(this.#model, input, true, false);
    }
    if (Array.isArray(input)) return this.#abi.tokenize(this.#model, this.renderChat(input), false, true);
    throw new LmError('INVALID_ARG', 'the input must be a prompt string or an array of { role, content } messages');
  }

  // Reuses the cached prefix (truncating the context to it), prefills the rest in batches,
  // then samples until maxTokens or an end-of-generation token (not yielded). Checks the
  // signal between batches and tokens; the model stays usable after an abort.
  async *#generate(prompt, o) {
    this.#busy = true;
    const abi = this.#abi, info = this.#info, ctx = this.#ctx;
    let sampler = 0, t1 = 0, ended = false;
    const st = { promptTokens: prompt.length, reusedTokens: 0, generatedTokens: 0, stopReason: 'length', prefillMs: 0, decodeMs: 0 };
    this.stats = st;
    try {
      sampler = abi.samplerNew(o, info.nVocab);
      for (const t of prompt) abi.accept(sampler, t);
      const keep = Math.min(commonPrefix(this.#cached, prompt), prompt.length - 1);
      if (keep > 0 && abi.ctxTruncate(ctx, keep)) { st.reusedTokens = keep; this.#cached.length = keep; }
      else { abi.ctxReset(ctx); this.#cached = []; }
      const t0 = performance.now(), total = prompt.length - st.reusedTokens;
      o.onProgress?.({ phase: 'prefill', loaded: 0, total });
      for (let i = st.reusedTokens; i < prompt.length; i += this.batchSize) {
        throwIfAborted(o.signal);
        const chunk = prompt.slice(i, i + this.batchSize);
        await this.#fillExt(chunk);
        abi.decode(ctx, chunk);
        this.#cached.push(...chunk);
        o.onProgress?.({ phase: 'prefill', loaded: i + chunk.length - st.reusedTokens, total });
        await yieldNow();
      }
      st.prefillMs = performance.now() - t0;
      t1 = performance.now();
      for (let n = 0; n < o.maxTokens; n++) {
        throwIfAborted(o.signal);
        const t = abi.sample(sampler, ctx);
        abi.accept(sampler, t);
        if (abi.isEog(this.#model, t) || t === info.eos) { st.stopReason = 'eos'; break; }
        st.generatedTokens++;
        yield t;
        await yieldNow();
        throwIfAborted(o.signal);
        if (n + 1 < o.maxTokens) { await this.#fillExt([t]); abi.decode(ctx, [t]); this.#cached.push(t); }
      }
      ended = true;
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') st.stopReason = 'abort';
      else this.#cached = [];
      throw this.#fail(e);
    } finally {
      if (t1) st.decodeMs = performance.now() - t1;
      if (!ended && st.stopReason === 'length') st.stopReason = 'abort';   // the consumer stopped reading
      if (sampler && !this.#dead) abi.samplerFree(sampler);
      this.#busy = false;
    }
  }

  // Copies the tokens' rows of the table kept outside the heap into the context's staging rows
  // (src/lm.h lm_ctx_ext_rows); a no-op for models that hold their table.
  async #fillExt(tokens) {
    const x = this.#extRows, abi = this.#abi;
    if (!x) return;
    try {
      await readRows(this.#ext, tokens, x.rowBytes, (i, row) => abi.write(x.ptr + i * x.rowBytes, row));
    } catch (e) {
      throw new LmError('IO', `cannot read the per-layer embeddings kept outside the heap: ${e instanceof Error ? e.message : e}`, { cause: e });
    }
  }

  #requireModel() { if (!this.#model) throw new LmError('INVALID_ARG', 'no model is loaded'); }

  /** Frees the model and context; the engine can load another model afterwards. */
  dispose() {
    if (this.#busy) throw new LmError('BUSY', 'cannot dispose while a generation or load is running; abort it first');
    if (!this.#dead) this.#release();
    this.#info = null;
  }

  #release() {
    const abi = this.#abi;
    if (this.#ctx) abi.ctxFree(this.#ctx);
    if (this.#model) abi.modelFree(this.#model);
    for (const pc of this.#pieces) abi.free(pc.ptr);
    this.#ext?.close?.();
    this.#ctx = this.#model = 0;
    this.#pieces = [];
    this.#ext = this.#extRows = null;
  }

  #guard() {
    if (this.#dead) throw new LmError('RUNTIME', 'the engine trapped earlier and must be recreated', { cause: this.#dead });
    if (this.#busy) throw new LmError('BUSY', 'a generation or load is already running on this model');
  }

  #fail(e) {
    const err = toLmError(e);
    if (err instanceof LmError && err.code === 'RUNTIME') this.#dead = err;
    return err;
  }
}
