// @ts-check
// abi.js — the only file that touches the Emscripten module: Module._lm_wasm_* and the heap.
// Heap views are read fresh on every access: memory growth detaches old views.
import { LmError } from './errors.js';

const heapU8 = (M) => M.HEAPU8;
const heap32 = (M) => M.HEAP32;
const heapF32 = (M) => M.HEAPF32;
const heapF64 = (M) => M.HEAPF64;

export class Abi {
  /** @param {any} M an instantiated module from dist/pocketlm.mjs */
  constructor(M) { this.M = M; }

  /** Throws LmError for a negative status; returns it otherwise. */
  check(status) {
    if (status >= 0) return status;
    const M = this.M;
    throw new LmError(M.UTF8ToString(M._lm_wasm_status_name(status)), M.UTF8ToString(M._lm_wasm_errmsg()));
  }

  statusName(s) { return this.M.UTF8ToString(this.M._lm_wasm_status_name(s)); }

  /** malloc in wasm; LmError NOMEM (with the size) when the heap cannot grow. */
  alloc(n) {
    const p = this.M._lm_wasm_malloc(n) >>> 0;
    if (!p) throw new LmError('NOMEM', `cannot allocate ${n} bytes in the wasm heap`);
    return p;
  }
  free(p) { if (p) this.M._lm_wasm_free(p); }
  write(ptr, bytes) { heapU8(this.M).set(bytes, ptr); }

  // Runs fn(ptr) with a temporary allocation of n bytes.
  withScratch(n, fn) {
    const p = this.alloc(n);
    try { return fn(p); } finally { this.free(p); }
  }

  /**
   * Plans memory from a file prefix. Returns { weights, kv, scratch, fileSize } or
   * { need } when the prefix is too short; throws LmError for a bad header.
   */
  planFromHeader(prefix, nCtx, nBatch) {
    const p = this.alloc(prefix.length);
    try {
      this.write(p, prefix);
      return this.withScratch(40, (out) => {
        const s = this.M._lm_wasm_plan_from_header(p, prefix.length, nCtx, nBatch, out);
        const v = heapF64(this.M).subarray(out >> 3, (out >> 3) + 5);
        if (s < 0 && this.statusName(s) === 'TRUNCATED' && v[3] > prefix.length) return { need: v[3] };
        this.check(s);
        return { weights: v[0], kv: v[1], scratch: v[2], fileSize: v[4] };
      });
    } finally { this.free(p); }
  }

  /** Loads a model whose bytes are at [ptr, ptr+len) in the heap (they must stay there). */
  modelLoad(ptr, len) {
    return this.withScratch(4, (out) => { this.check(this.M._lm_wasm_model_load(ptr, len, out)); return heap32(this.M)[out >> 2] >>> 0; });
  }
  modelFree(m) { this.M._lm_wasm_model_free(m); }

  modelInfo(m) {
    return this.withScratch(56, (out) => {
      const arch = this.M.UTF8ToString(this.M._lm_wasm_model_info(m, out));
      const v = heap32(this.M).slice(out >> 2, (out >> 2) + 14);
      return {
        arch, nVocab: v[0], nEmbd: v[1], nLayer: v[2], nHead: v[3], nHeadKv: v[4], nCtxTrain: v[5],
        slidingWindow: v[6], nEmbdPerLayer: v[7], nLayerKv: v[8], bos: v[9], eos: v[10], addBos: !!v[11],
        nParams: (v[12] >>> 0) + (v[13] >>> 0) * 2 ** 32,
      };
    });
  }

  ctxNew(m, nCtx, nBatch) {
    return this.withScratch(4, (out) => { this.check(this.M._lm_wasm_ctx_new(m, nCtx, nBatch, out)); return heap32(this.M)[out >> 2] >>> 0; });
  }
  ctxFree(c) { this.M._lm_wasm_ctx_free(c); }
  ctxReset(c) { this.M._lm_wasm_ctx_reset(c); }
  ctxNPast(c) { return this.M._lm_wasm_ctx_n_past(c); }

  /** Appends tokens and computes the last token's logits. */
  decode(c, tokens) {
    this.withScratch(4 * tokens.length, (p) => {
      heap32(this.M).set(tokens, p >> 2);
      this.check(this.M._lm_wasm_decode(c, p, tokens.length));
    });
  }
  logitsPtr(c) { return this.M._lm_wasm_logits(c) >>> 0; }
  /** Copy of the last decode's logits. */
  logits(c, nVocab) { const p = this.logitsPtr(c) >> 2; return heapF32(this.M).slice(p, p + nVocab); }

  /** @param {{temperature:number, topK:number, topP:number, minP:number, repeatPenalty:number,
   *           presencePenalty:number, frequencyPenalty:number, penaltyLastN:number, seed:number}} o */
  samplerNew(o, nVocab) {
    return this.withScratch(24 + 16 + 4, (p) => {
      heapF32(this.M).set([o.temperature, o.topP, o.minP, o.repeatPenalty, o.presencePenalty, o.frequencyPenalty], p >> 2);
      const ip = p + 24, out = p + 40;
      const seed = BigInt.asUintN(64, BigInt(o.seed));
      heap32(this.M).set([o.topK, o.penaltyLastN, Number(seed & 0xffffffffn) | 0, Number(seed >> 32n) | 0], ip >> 2);
      this.check(this.M._lm_wasm_sampler_new(p, ip, nVocab, out));
      return heap32(this.M)[out >> 2] >>> 0;
    });
  }
  samplerFree(s) { this.M._lm_wasm_sampler_free(s); }
  sample(s, c) { return this.M._lm_wasm_sampler_sample(s, this.logitsPtr(c)); }
  accept(s, t) { this.check(this.M._lm_wasm_sampler_accept(s, t)); }
}
