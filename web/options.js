// @ts-check
// options.js — typed option objects: defaults, validation, and rejection of unknown names
// (a typo like `max_tokens` must fail loudly, not be ignored).
import { LmError } from './errors.js';

export const GENERATE_DEFAULTS = Object.freeze({
  maxTokens: 256, temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05,
  repeatPenalty: 1.0, presencePenalty: 0, frequencyPenalty: 0, penaltyLastN: 64, seed: 0,
  stop: /** @type {string[]} */ ([]), signal: /** @type {AbortSignal | undefined} */ (undefined),
});

export const LOAD_DEFAULTS = Object.freeze({
  onProgress: undefined, signal: undefined, contextSize: 0, batchSize: 0, worker: true, threads: 1,
  wasmUrl: undefined, wasmBinary: undefined, build: undefined,
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
};
const LOAD_CHECKS = {
  onProgress: (v) => (v === undefined || typeof v === 'function' ? '' : 'a function'),
  signal: GENERATE_CHECKS.signal, contextSize: int(0, 1 << 20), batchSize: int(0, 4096), worker: (v) => (typeof v === 'boolean' ? '' : 'a boolean'),
  threads: int(1, 64), wasmUrl: (v) => (v === undefined || typeof v === 'string' || v instanceof URL ? '' : 'a URL'),
  wasmBinary: (v) => (v === undefined || v instanceof ArrayBuffer || ArrayBuffer.isView(v) ? '' : 'an ArrayBuffer'),
  build: (v) => (['simd128', 'relaxed', 'threads'].includes(v) ? '' : "'simd128', 'relaxed' or 'threads'"),
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
