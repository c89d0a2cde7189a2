// @ts-check
// worker-engine.js — WorkerEngine: the Engine interface, proxied to web/worker.js over postMessage.
// Errors come back as data and are rebuilt here; AbortSignals become Op.ABORT messages.
import { Ev, Op } from './protocol.js';
import { LmError, abortError, throwIfAborted } from './errors.js';

const isNode = typeof process === 'object' && !!process.versions?.node;

async function spawn() {
  const url = new URL('./worker.js', import.meta.url);
  if (!isNode) return new Worker(url, { type: 'module' });
  const { Worker: NodeWorker } = await import('node:worker_threads');
  return new NodeWorker(url);
}

export class WorkerEngine {
  #worker; #nextId = 1; #pending = new Map(); #dead = null;
  info = null;
  stats = null;

  /** @private */ constructor(worker) {
    this.#worker = worker;
    const onMessage = (m) => this.#pending.get(m.id)?.(m);
    const onError = (e) => this.#die(new LmError('WORKER', `the worker failed: ${e?.message ?? e}`, { cause: e }));
    if (isNode) { worker.on('message', onMessage); worker.on('error', onError); worker.on('exit', (c) => onError(`exit ${c}`)); worker.unref(); }
    else { worker.onmessage = (e) => onMessage(e.data); worker.onerror = onError; }
  }

  static async create(opts = {}) {
    const w = new WorkerEngine(await spawn());
    await w.#call(Op.INIT, { wasmUrl: opts.wasmUrl && String(opts.wasmUrl), wasmBinary: opts.wasmBinary, threads: opts.threads, build: opts.build });
    return w;
  }

  async load(source, options = {}) {
    const { onProgress, signal, ...rest } = options ?? {};
    // ArrayBuffers and streams move to the worker (a list: gguf-split shards)
    const movable = (s) => s instanceof ArrayBuffer || (typeof ReadableStream !== 'undefined' && s instanceof ReadableStream);
    this.info = await this.#call(Op.LOAD, { source, options: rest }, { onProgress, signal }, [source].flat().filter(movable));
    return this.info;
  }

  generateTokens(input, options) { return this.#iterate('generateTokens', input, options); }
  stream(input, options) { return this.#iterate('stream', input, options); }
  tokenize(...args) { return this.#call(Op.CALL, { method: 'tokenize', args }); }
  detokenize(...args) { return this.#call(Op.CALL, { method: 'detokenize', args }); }
  renderChat(...args) { return this.#call(Op.CALL, { method: 'renderChat', args }); }

  async dispose() {
    if (this.#dead) return;
    try { await this.#call(Op.DISPOSE, {}); } finally { this.#worker.terminate(); this.#die(new LmError('WORKER', 'the model was disposed')); }
  }

  async *#iterate(method, input, options = {}) {
    const { signal, onProgress, ...rest } = options ?? {};
    if (onProgress !== undefined && typeof onProgress !== 'function') throw new LmError('INVALID_ARG', "generate option 'onProgress' must be a function");
    const queue = [], waiters = [];
    let done = false, error = null;
    const wake = () => waiters.splice(0).forEach((w) => w());
    const p = this.#call(Op.GENERATE, { method, input, options: rest, progress: !!onProgress },
                         { signal, onProgress, onItem: (x) => { queue.push(x); wake(); }, onStats: (s) => { this.stats = s; } });
    p.then((stats) => { this.stats = stats; done = true; wake(); }, (e) => { error = e; done = true; wake(); });
    try {
      for (;;) {
        throwIfAborted(signal);   // items already queued when the signal fired are dropped
        if (queue.length) { yield queue.shift(); continue; }
        if (done) { if (error) throw error; return; }
        await new Promise((r) => waiters.push(r));
      }
    } finally {
      if (!done) { this.#worker.postMessage({ op: Op.ABORT, args: { target: this.#lastId } }); await p.catch(() => {}); }
    }
  }

  #lastId = 0;
  #call(op, args, { onProgress, onItem, onStats, signal } = {}, transfer = []) {
    if (this.#dead) return Promise.reject(this.#dead);
    try { throwIfAborted(signal); } catch (e) { return Promise.reject(e); }
    const id = this.#nextId++;
    this.#lastId = id;
    return new Promise((resolve, reject) => {
      const onAbort = () => this.#worker.postMessage({ op: Op.ABORT, args: { target: id } });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, (m) => {
        if (m.ev === Ev.PROGRESS) return onProgress?.(m.data);
        if (m.ev === Ev.ITEM) return onItem?.(m.data);
        this.#pending.delete(id);
        if (isNode && this.#pending.size === 0) this.#worker.unref();
        signal?.removeEventListener('abort', onAbort);
        if (m.stats) onStats?.(m.stats);
        if (m.ev === Ev.DONE) resolve(m.data);
        else reject(m.name === 'AbortError' ? abortError(signal) : new LmError(m.code ?? 'WORKER', m.message, m.detail ? { detail: m.detail } : undefined));
      });
      if (isNode && this.#pending.size === 1) this.#worker.ref();   // keep Node alive only while work is pending
      this.#worker.postMessage({ id, op, args }, transfer);
    });
  }

  #die(err) {
    if (this.#dead) return;
    this.#dead = err;
    for (const [id, cb] of this.#pending) cb({ id, ev: Ev.ERROR, code: err.code, message: err.message });
    this.#pending.clear();
  }
}
