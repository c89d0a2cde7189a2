// @ts-check
// abi.js — the only file that touches the Emscripten module: Module._lm_wasm_* and the heap.
// Heap views are read fresh on every access: memory growth detaches old views. Pointers are
// unsigned (a heap may pass 2 GiB): index with >>> , never >>.
import { LmError } from './errors.js';

const heapU8 = (M) => M.HEAPU8;
const heap32 = (M) => M.HEAP32;
const heapF32 = (M) => M.HEAPF32;
const heapF64 = (M) => M.HEAPF64;

// lm_kv_type (src/lm.h) by the name the JS API uses (options.js `kvCache`).
const KV_TYPES = Object.freeze({ f16: 0, q8: 1 });
function kvType(name) {
  if (!Object.hasOwn(KV_TYPES, name)) throw new LmError('INVALID_ARG', `KV cache type '${name}' is not one of ${Object.keys(KV_TYPES).join(', ')}`);
  return KV_TYPES[name];
}

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
  /** A view of heap bytes, valid until the next call into wasm (memory growth detaches it). */
  view(ptr, n) { return heapU8(this.M).subarray(ptr, ptr + n); }
  /** Bytes of wasm memory now (what the heap holds resident). */
  heapBytes() { return heapU8(this.M).length; }

  // Runs fn(ptr) with a temporary allocation of n bytes.
  withScratch(n, fn) {
    const p = this.alloc(n);
    try { return fn(p); } finally { this.free(p); }
  }

  /**
   * Plans memory from a file prefix. Returns { weights, kv, scratch, fileSize } or
   * { need } when the prefix is too short; throws LmError for a bad header.
   */
  planFromHeader(prefix, nCtx, nBatch, kvCache = 'f16') {
    const kv = kvType(kvCache);
    const p = this.alloc(prefix.length);
    try {
      this.write(p, prefix);
      return this.withScratch(40, (out) => {
        const s = this.M._lm_wasm_plan_from_header(p, prefix.length, nCtx, nBatch, kv, out);
        const v = heapF64(this.M).subarray(out >>> 3, (out >>> 3) + 5);
        if (s < 0 && this.statusName(s) === 'TRUNCATED' && v[3] > prefix.length) return { need: v[3] };
        this.check(s);
        return { weights: v[0], kv: v[1], scratch: v[2], fileSize: v[4] };
      });
    } finally { this.free(p); }
  }

  /**
   * Layout of one file or gguf-split shard from a prefix: { fileSize, tensorBytes, splitNo,
   * splitCount, extOff, extLen, extRowBytes, cuts } (cuts: file offsets where pieces start), or
   * { need } when the prefix is too short.
   */
  fileLayout(prefix) {
    const p = this.alloc(prefix.length);
    try {
      this.write(p, prefix);
      return this.withScratch(8 * (9 + 32), (out) => {
        const s = this.M._lm_wasm_file_layout(p, prefix.length, out);
        const v = heapF64(this.M).slice(out >>> 3, (out >>> 3) + 9 + 32);
        if (s < 0 && this.statusName(s) === 'TRUNCATED' && v[7] > prefix.length) return { need: v[7] };
        this.check(s);
        return { fileSize: v[0], tensorBytes: v[1], splitNo: v[2], splitCount: v[3], extOff: v[4], extLen: v[5], extRowBytes: v[6],
                 cuts: Array.from(v.subarray(9, 9 + v[8])) };
      });
    } finally { this.free(p); }
  }

  /**
   * Loads a model from heap pieces [{ ptr, file, fileOff, len }] (they must stay there): one
   * piece holding a whole file goes through lm_model_load, anything else lm_model_load_pieces.
   * extOut: a table was left out of the heap (then one piece at offset 0 is a prefix, not the file:
   * GGUF-M stores its per-layer embeddings last).
   */
  modelLoad(pieces, extOut = false) {
    const whole = !extOut && pieces.length === 1 && pieces[0].file === 0 && pieces[0].fileOff === 0;
    const n = whole ? 0 : pieces.length;
    return this.withScratch(8 + 32 * n, (out) => {
      const t = (out + 8) >>> 3;
      if (!whole) pieces.forEach((pc, i) => heapF64(this.M).set([pc.ptr, pc.file, pc.fileOff, pc.len], t + 4 * i));
      this.check(this.M._lm_wasm_model_load(pieces[0].ptr, whole ? pieces[0].len : 0, out + 8, n, out));
      return heap32(this.M)[out >>> 2] >>> 0;
    });
  }

  /** The staging rows of a table left out of the image: { ptr, rowBytes, cap }, or null. */
  ctxExtRows(c) {
    return this.withScratch(16, (out) => {
      const p = this.M._lm_wasm_ctx_ext_rows(c, out) >>> 0, v = heapF64(this.M).subarray(out >>> 3, (out >>> 3) + 2);
      return p ? { ptr: p, rowBytes: v[0], cap: v[1] } : null;
    });
  }
  modelFree(m) { this.M._lm_wasm_model_free(m); }

  modelInfo(m) {
    return this.withScratch(56, (out) => {
      const arch = this.M.UTF8ToString(this.M._lm_wasm_model_info(m, out));
      const v = heap32(this.M).slice(out >>> 2, (out >>> 2) + 14);
      return {
        arch, nVocab: v[0], nEmbd: v[1], nLayer: v[2], nHead: v[3], nHeadKv: v[4], nCtxTrain: v[5],
        slidingWindow: v[6], nEmbdPerLayer: v[7], nLayerKv: v[8], bos: v[9], eos: v[10], addBos: !!v[11],
        nParams: (v[12] >>> 0) + (v[13] >>> 0) * 2 ** 32,
      };
    });
  }

  /** @returns {Record<string, number>} tensor count per type name, e.g. { q4_0: 120, f32: 50 } */
  tensorTypes(m) {
    const { ptr, n } = this.#sized(1, 512, (buf, cap) => this.M._lm_wasm_tensor_types(m, buf, cap));
    try {
      const text = new TextDecoder().decode(heapU8(this.M).slice(ptr, ptr + n));
      return Object.fromEntries(text.trim().split('\n').filter(Boolean).map((l) => { const [t, c] = l.split(' '); return [t, Number(c)]; }));
    } finally { this.free(ptr); }
  }

  ctxNew(m, nCtx, nBatch, nThreads = 1, kvCache = 'f16') {
    const kv = kvType(kvCache);
    return this.withScratch(4, (out) => { this.check(this.M._lm_wasm_ctx_new(m, nCtx, nBatch, nThreads, kv, out)); return heap32(this.M)[out >>> 2] >>> 0; });
  }
  ctxFree(c) { this.M._lm_wasm_ctx_free(c); }
  /** Keeps the first n tokens of the cache; false when the engine refuses (reset instead). */
  ctxTruncate(c, n) { return this.M._lm_wasm_ctx_truncate(c, n) >= 0; }
  ctxReset(c) { this.M._lm_wasm_ctx_reset(c); }
  ctxNPast(c) { return this.M._lm_wasm_ctx_n_past(c); }

  /** Appends tokens and computes the last token's logits. */
  decode(c, tokens) {
    this.withScratch(4 * tokens.length, (p) => {
      heap32(this.M).set(tokens, p >>> 2);
      this.check(this.M._lm_wasm_decode(c, p, tokens.length));
    });
  }
  logitsPtr(c) { return this.M._lm_wasm_logits(c) >>> 0; }
  /** Copy of the last decode's logits. */
  logits(c, nVocab) { const p = this.logitsPtr(c) >>> 2; return heapF32(this.M).slice(p, p + nVocab); }

  /** @param {{temperature:number, topK:number, topP:number, minP:number, repeatPenalty:number,
   *           presencePenalty:number, frequencyPenalty:number, penaltyLastN:number, seed:number}} o */
  samplerNew(o, nVocab) {
    return this.withScratch(24 + 16 + 4, (p) => {
      heapF32(this.M).set([o.temperature, o.topP, o.minP, o.repeatPenalty, o.presencePenalty, o.frequencyPenalty], p >>> 2);
      const ip = p + 24, out = p + 40;
      const seed = BigInt.asUintN(64, BigInt(o.seed));
      heap32(this.M).set([o.topK, o.penaltyLastN, Number(seed & 0xffffffffn) | 0, Number(seed >> 32n) | 0], ip >>> 2);
      this.check(this.M._lm_wasm_sampler_new(p, ip, nVocab, out));
      return heap32(this.M)[out >>> 2] >>> 0;
    });
  }
  // ---- tokenizer and chat ----

  // Calls fn(buf, cap) with a growing buffer until it fits: fn returns a count, -(needed), or
  // INT32_MIN for an error (message in lm_errmsg); returns { ptr, n } (caller frees ptr).
  #sized(bytesPer, first, fn) {
    let cap = first;
    for (;;) {
      const p = this.alloc(cap * bytesPer);
      const n = fn(p, cap);
      if (n >= 0) return { ptr: p, n };
      this.free(p);
      if (n === -2147483648) this.check(this.M._lm_wasm_last_status() || -10);   // -10: INVALID_ARG if none recorded
      cap = -n;
    }
  }

  #withString(str, fn) {
    const bytes = new TextEncoder().encode(str);
    const p = this.alloc(bytes.length + 1);
    try { this.write(p, bytes); heapU8(this.M)[p + bytes.length] = 0; return fn(p, bytes.length); } finally { this.free(p); }
  }

  /** @returns {number[]} token ids of text */
  tokenize(m, text, addSpecial, parseSpecial) {
    return this.#withString(text, (tp, len) => {
      const { ptr, n } = this.#sized(4, len + 8, (buf, cap) => this.M._lm_wasm_tokenize(m, tp, len, buf, cap, addSpecial ? 1 : 0, parseSpecial ? 1 : 0));
      try { return Array.from(heap32(this.M).subarray(ptr >>> 2, (ptr >>> 2) + n)); } finally { this.free(ptr); }
    });
  }

  /** Raw bytes of one token (may be part of a UTF-8 character). */
  tokenBytes(m, t, special) {
    const { ptr, n } = this.#sized(1, 64, (buf, cap) => this.M._lm_wasm_token_piece(m, t, buf, cap, special ? 1 : 0));
    try { return heapU8(this.M).slice(ptr, ptr + n); } finally { this.free(ptr); }
  }

  /** Text of token ids, as llama.cpp's llama_detokenize. */
  detokenize(m, ids, removeSpecial, unparseSpecial) {
    return this.withScratch(4 * Math.max(ids.length, 1), (tp) => {
      heap32(this.M).set(ids, tp >>> 2);
      const { ptr, n } = this.#sized(1, 16 * ids.length + 16, (buf, cap) => this.M._lm_wasm_detokenize(m, tp, ids.length, buf, cap, removeSpecial ? 1 : 0, unparseSpecial ? 1 : 0));
      try { return new TextDecoder().decode(heapU8(this.M).slice(ptr, ptr + n)); } finally { this.free(ptr); }
    });
  }

  isEog(m, t) { return this.M._lm_wasm_is_eog(m, t) !== 0; }

  /**
   * Renders messages with the model's chat template.
   * @param {Array<{ role: number, content: string }>} msgs roles as lm_chat_role numbers
   */
  chatRender(m, msgs, format, flags) {
    const enc = new TextEncoder(), ptrs = [];
    const tables = this.alloc(8 * Math.max(msgs.length, 1));
    try {
      msgs.forEach((msg, i) => {
        const b = enc.encode(msg.content), p = this.alloc(b.length + 1);
        ptrs.push(p);
        this.write(p, b);
        heapU8(this.M)[p + b.length] = 0;
        heap32(this.M)[(tables >>> 2) + i] = msg.role;
        heap32(this.M)[(tables >>> 2) + msgs.length + i] = p;
      });
      const contents = tables + 4 * msgs.length;
      const { ptr, n } = this.#sized(1, 1024, (buf, cap) => this.M._lm_wasm_chat_render(m, tables, contents, msgs.length, format, flags, buf, cap));
      try { return new TextDecoder().decode(heapU8(this.M).slice(ptr, ptr + n)); } finally { this.free(ptr); }
    } finally {
      ptrs.forEach((p) => this.free(p));
      this.free(tables);
    }
  }

  samplerFree(s) { this.M._lm_wasm_sampler_free(s); }
  sample(s, c) { return this.M._lm_wasm_sampler_sample(s, this.logitsPtr(c)); }
  accept(s, t) { this.check(this.M._lm_wasm_sampler_accept(s, t)); }
}
