// @ts-check
// engine.js — Engine: the in-thread implementation (the Worker proxies the same interface).
// Owns one wasm instance, one model and one context; one generation at a time.
import createPocketLM from '../dist/pocketlm.mjs';
import { Abi } from './abi.js';
import { LmError, throwIfAborted, toLmError } from './errors.js';
import { loadIntoHeap } from './loader.js';
import { generateOptions, loadOptions } from './options.js';

const isNode = typeof process === 'object' && !!process.versions?.node;

async function instantiate({ wasmBinary, wasmUrl } = {}) {
  if (!wasmBinary && isNode) {
    const fs = await import('node:fs');
    wasmBinary = fs.readFileSync(wasmUrl ?? new URL('../dist/pocketlm.wasm', import.meta.url));
  }
  const opts = {};
  if (wasmBinary) opts.wasmBinary = wasmBinary;
  else if (wasmUrl) opts.locateFile = () => String(wasmUrl);
  return createPocketLM(opts);
}

// Lets queued events (abort, messages) run between tokens without the 4 ms timer clamp.
const yieldNow = typeof setImmediate === 'function' ? () => new Promise((r) => setImmediate(r))
  : (() => { const ch = new MessageChannel(), q = []; ch.port1.onmessage = () => q.shift()?.(); return () => new Promise((r) => { q.push(r); ch.port2.postMessage(0); }); })();

export class Engine {
  #abi; #model = 0; #ctx = 0; #file = 0; #busy = false; #dead = null;
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
      const { ptr, len, plan } = await loadIntoHeap(this.#abi, source, { signal: o.signal, onProgress: o.onProgress, nCtx: o.contextSize, nBatch: o.batchSize });
      this.#release();
      this.#file = ptr;
      this.#model = this.#abi.modelLoad(ptr, len);
      this.#ctx = this.#abi.ctxNew(this.#model, o.contextSize, o.batchSize);
      this.#info = { ...this.#abi.modelInfo(this.#model), memory: { weights: plan.weights, kv: plan.kv, scratch: plan.scratch } };
      this.batchSize = o.batchSize || 32;
      return this.#info;
    } catch (e) {
      throw this.#fail(e);
    } finally { this.#busy = false; }
  }

  get info() { return this.#info; }

  /**
   * Continues `prompt` (token ids) and yields each new token id. Prefill runs in batches and
   * decode one token at a time, checking `signal` between them; the model stays usable after
   * an abort. Stops at maxTokens or the end-of-sequence token (not yielded).
   */
  async *generateTokens(prompt, options) {
    const o = generateOptions(options);
    this.#guard();
    if (!this.#model) throw new LmError('INVALID_ARG', 'no model is loaded');
    if (!Array.isArray(prompt) || prompt.length === 0) throw new LmError('INVALID_ARG', 'the prompt needs at least one token');
    this.#busy = true;
    const abi = this.#abi, info = this.#info;
    let sampler = 0;
    const st = { promptTokens: prompt.length, generatedTokens: 0, stopReason: 'length', prefillMs: 0, decodeMs: 0 };
    this.stats = st;
    try {
      sampler = abi.samplerNew(o, info.nVocab);
      for (const t of prompt) abi.accept(sampler, t);
      abi.ctxReset(this.#ctx);
      const t0 = performance.now();
      for (let i = 0; i < prompt.length; i += this.batchSize) {
        throwIfAborted(o.signal);
        abi.decode(this.#ctx, prompt.slice(i, i + this.batchSize));
        await yieldNow();
      }
      st.prefillMs = performance.now() - t0;
      const t1 = performance.now();
      for (let n = 0; n < o.maxTokens; n++) {
        throwIfAborted(o.signal);
        const t = abi.sample(sampler, this.#ctx);
        abi.accept(sampler, t);
        if (t === info.eos) { st.stopReason = 'eos'; break; }
        st.generatedTokens++;
        yield t;
        await yieldNow();
        throwIfAborted(o.signal);
        if (n + 1 < o.maxTokens) abi.decode(this.#ctx, [t]);
      }
      st.decodeMs = performance.now() - t1;
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') st.stopReason = 'abort';
      throw this.#fail(e);
    } finally {
      if (sampler && !this.#dead) abi.samplerFree(sampler);
      this.#busy = false;
    }
  }

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
    if (this.#file) abi.free(this.#file);
    this.#ctx = this.#model = this.#file = 0;
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
