// @ts-check
// errors.js — the one error class. C owns the engine codes (status.h; abi.js reads the names from
// wasm), JS adds the codes for failures that exist only in JS. Cancellation is the platform's
// AbortError, exactly as with fetch().

/** Codes that come from the C engine (src/status.h). A test checks this list against wasm. */
export const ENGINE_CODES = Object.freeze([
  'NOMEM', 'TRUNCATED', 'BAD_MAGIC', 'BAD_VERSION', 'CORRUPT', 'UNSUPPORTED_ARCH', 'UNSUPPORTED_TYPE',
  'MISSING_TENSOR', 'CTX_FULL', 'INVALID_ARG', 'MISSING_KEY', 'BAD_SHAPE', 'UNSUPPORTED', 'TOO_LARGE', 'IO',
]);
/** Codes for failures that exist only in JS. */
export const JS_CODES = Object.freeze(['FETCH', 'BUSY', 'RUNTIME', 'WORKER', 'QUOTA']);
export const CODES = Object.freeze([...ENGINE_CODES, ...JS_CODES]);

export class LmError extends Error {
  /**
   * @param {string} code one of CODES
   * @param {string} message human-readable detail (programs should test `code`)
   * @param {{ cause?: unknown, detail?: Record<string, number> }} [options] detail: numbers a
   *   program may use (QUOTA: { needed, available } bytes)
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'LmError';
    this.code = code;
    if (options?.detail) this.detail = options.detail;
  }
}

/** @returns {DOMException} the AbortError fetch() throws, with the signal's reason as cause */
export function abortError(signal) {
  const e = new DOMException('The operation was aborted.', 'AbortError');
  if (signal?.reason !== undefined) Object.defineProperty(e, 'cause', { value: signal.reason });
  return e;
}

export function throwIfAborted(signal) {
  if (signal?.aborted) throw abortError(signal);
}

/**
 * Normalizes anything thrown inside the engine: LmError and AbortError pass through, a wasm trap
 * becomes RUNTIME (the engine is then unusable), anything else becomes `fallback`.
 */
export function toLmError(e, fallback = 'RUNTIME') {
  if (e instanceof LmError || (e instanceof DOMException && e.name === 'AbortError')) return e;
  if (e instanceof WebAssembly.RuntimeError) return new LmError('RUNTIME', `wasm trap: ${e.message}; reload the model`, { cause: e });
  return new LmError(fallback, e instanceof Error ? e.message : String(e), { cause: e });
}
