// @ts-check
// options.js — typed option objects: defaults, validation, and rejection of unknown names
// (a typo like `max_tokens` must fail loudly, not be ignored).
import { LmError } from './errors.js';

export const GENERATE_DEFAULTS = Object.freeze({
  maxTokens: 256, temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05,
  repeatPenalty: 1.0, presencePenalty: 0, frequencyPenalty: 0, penaltyLastN: 64, seed: 0,
  stop: /** @type {string[]} */ ([]), signal: /** @type {AbortSignal | undefined} */ (undefined),
  onProgress: /** @type {((p: { phase: 'prefill', loaded: number, total: number }) => void) | undefined} */ (undefined),
});

export const LOAD_DEFAULTS = Object.freeze({
  onProgress: undefined, signal: undefined, contextSize: 0, batchSize: 0, kvCache: 'f16', worker: true, threads: 1,
  wasmUrl: undefined, wasmBinary: undefined, build: undefined,
  // loading (loader.js): cache where the browser can (no-op in Node), verify a sha256 (hex; one per
  // shard as a list), byte ranges in flight, retries per range without progress, stall timeout,
  // keep gemma4's per-layer embedding table out of the wasm heap
  cache: true, sha256: /** @type {string | string[] | undefined} */ (undefined), parallel: 4, retries: 5, timeoutMs: 30000,
  pleOutOfHeap: true,
});

// name -> check(value) returning an error text or ''.
const num = (lo, hi, loOpen = false) => (v) =>
  typeof v !== 'number' || !Number.isFinite(v) || (loOpen ? v <= lo : v < lo) || v > hi ? `a number in ${loOpen ? '(' : '['}${lo}, ${hi}]` : '';
const int = (lo, hi) => (v) => (!Number.isInteger(v) || v < lo || v > hi ? `an integer in [${lo}, ${hi}]` : '');
const GENERATE_CHECKS = {
  maxTokens: int(1, 1 << 20), temperature: num(0, 100), topK: int(0, 1 << 24), topP: num(0, 1, true), minP: num(0, 1),
  repeatPenalty: num(0, 100, true), presencePenalty: num(-100, 100), frequencyPenalty: num(-100, 100),
  penaltyLastN: int(0, 1 << 20), seed: int(0, Number.MAX_SAFE_INTEGER),
  stop: (v) => (Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length > 0) ? '' : 'an array of non-empty strings'),
  signal: (v) => (v === undefined || (typeof v === 'object' && v !== null && 'aborted' in v) ? '' : 'an AbortSignal'),
  onProgress: (v) => (v === undefined || typeof v === 'function' ? '' : 'a function'),
};
const LOAD_CHECKS = {
  onProgress: GENERATE_CHECKS.onProgress,
  signal: GENERATE_CHECKS.signal, contextSize: int(0, 1 << 20), batchSize: int(0, 4096), worker: (v) => (typeof v === 'boolean' ? '' : 'a boolean'),
  kvCache: (v) => (['f16', 'q8'].includes(v) ? '' : "'f16' or 'q8'"),
  threads: int(1, 64), wasmUrl: (v) => (v === undefined || typeof v === 'string' || v instanceof URL ? '' : 'a URL'),
  wasmBinary: (v) => (v === undefined || v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? '' : 'an ArrayBuffer'),
  build: (v) => (['simd128', 'relaxed', 'threads'].includes(v) ? '' : "'simd128', 'relaxed' or 'threads'"),
  cache: (v) => (typeof v === 'boolean' ? '' : 'a boolean'), pleOutOfHeap: (v) => (typeof v === 'boolean' ? '' : 'a boolean'),
  sha256: (v) => ([v].flat().every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/i.test(h)) && [v].flat().length > 0 ? '' : 'a hex SHA-256 (or a list, one per shard)'),
  parallel: int(1, 16), retries: int(0, 100), timeoutMs: int(100, 24 * 3600 * 1000),
};

function resolve(kind, defaults, checks, opts) {
  if (opts === undefined || opts === null) return { ...defaults };
  if (typeof opts !== 'object') throw new LmError('INVALID_ARG', `${kind} options must be an object`);
  for (const [k, v] of Object.entries(opts)) {
    if (!(k in checks)) throw new LmError('INVALID_ARG', `unknown ${kind} option '${k}' (known: ${Object.keys(checks).join(', ')})`);
    const err = v === undefined ? '' : checks[k](v);
    if (err) throw new LmError('INVALID_ARG', `${kind} option '${k}' must be ${err}`);
  }
  const out = { ...defaults };
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) out[k] = v;
  return out;
}

/** @returns {typeof GENERATE_DEFAULTS} */
export const generateOptions = (o) => resolve('generate', GENERATE_DEFAULTS, GENERATE_CHECKS, o);
/** @returns {typeof LOAD_DEFAULTS} */
export const loadOptions = (o) => resolve('load', LOAD_DEFAULTS, LOAD_CHECKS, o);
