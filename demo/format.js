// @ts-check
// format.js — numbers for people (bytes, rates, times) and LmError codes turned into what a
// person can do about them. No DOM here.

/** @param {number} n bytes */
export function bytes(n) {
  if (!Number.isFinite(n)) return '?';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

/** @param {number} s seconds */
export function duration(s) {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** @param {number} tokens @param {number} ms */
export function tokPerS(tokens, ms) {
  if (!(ms > 0) || !tokens) return '–';
  const r = (tokens * 1000) / ms;
  return `${r >= 100 ? Math.round(r) : r.toFixed(1)} tok/s`;
}

/** Rate and time left of a transfer, from samples taken as progress arrives. */
export class RateMeter {
  /** @type {Array<[number, number]>} [time ms, bytes] over the last few seconds */ #samples = [];
  /** @param {number} loaded @param {number} [now] */
  add(loaded, now = performance.now()) {
    this.#samples.push([now, loaded]);
    while (this.#samples.length > 2 && now - this.#samples[0][0] > 3000) this.#samples.shift();
  }
  /** bytes per second, or NaN until two samples 200 ms apart exist */
  get rate() {
    const s = this.#samples;
    if (s.length < 2) return NaN;
    const [t0, b0] = s[0], [t1, b1] = s[s.length - 1];
    return t1 - t0 >= 200 ? ((b1 - b0) * 1000) / (t1 - t0) : NaN;
  }
  /** @param {number} loaded @param {number} [total] seconds left, NaN when unknown */
  eta(loaded, total) {
    const r = this.rate;
    return total && r > 0 ? (total - loaded) / r : NaN;
  }
}

/**
 * The actions an error banner may offer. The app maps each to a handler.
 * @typedef {'retry' | 'builtin' | 'nocache' | 'manage' | 'newchat' | 'reload' | 'settings'} Action
 */

const DAMAGED = {
  title: 'The model file is damaged or laid out in a way pocketlm does not know.',
  hint: 'Download it again, or pick another GGUF file.',
  actions: /** @type {Action[]} */ (['retry', 'builtin']),
};

/** @type {Record<string, { title: string, hint: string, actions: Action[] }>} */
const BY_CODE = {
  FETCH: { title: 'The model could not be downloaded.', hint: 'Check the URL and your connection, then retry.', actions: ['retry', 'builtin'] },
  QUOTA: { title: 'Not enough storage to keep this model for offline use.',
           hint: 'Delete saved models you no longer need, or load this one without saving it (it will be downloaded again next time).',
           actions: ['nocache', 'manage'] },
  TOO_LARGE: { title: 'This model is too large for a browser tab.',
               hint: 'WebAssembly can address at most 4 GB for weights, context and scratch together. Pick a smaller file (Gemma 4 E2B in Q4_0 fits).',
               actions: ['builtin', 'manage'] },
  NOMEM: { title: 'The browser refused the memory this model needs.',
           hint: 'Close other tabs or apps and retry, or pick a smaller model.', actions: ['retry', 'builtin'] },
  BAD_MAGIC: { title: 'That is not a GGUF model file.',
               hint: 'pocketlm reads .gguf files (the llama.cpp format). For Hugging Face, use the file’s download link (…/resolve/main/….gguf), not the model page.',
               actions: ['builtin'] },
  BAD_VERSION: { title: 'This GGUF version is not supported.', hint: 'pocketlm reads GGUF versions 2 and 3. Re-export the model with a current llama.cpp.', actions: ['builtin'] },
  UNSUPPORTED_ARCH: { title: 'This model architecture is not supported yet.',
                      hint: 'pocketlm runs gemma4, gemma3 and llama-family models.', actions: ['builtin'] },
  UNSUPPORTED_TYPE: { title: 'This file uses a weight type pocketlm cannot run.',
                      hint: 'Supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K and GGUF-M. Try the Q4_0 variant of the model.',
                      actions: ['builtin'] },
  UNSUPPORTED: { title: 'This model uses a feature pocketlm does not support yet.', hint: 'Try another file of the same model.', actions: ['builtin'] },
  TRUNCATED: { title: 'The model file is incomplete.', hint: 'The download was cut short or the file is damaged. Retry, or download it again.', actions: ['retry', 'builtin'] },
  CORRUPT: DAMAGED, MISSING_TENSOR: DAMAGED, MISSING_KEY: DAMAGED, BAD_SHAPE: DAMAGED,
  IO: { title: 'The file could not be read.', hint: 'It may have been moved or deleted. Choose it again.', actions: ['builtin'] },
  CTX_FULL: { title: 'The conversation no longer fits in the model’s context.', hint: 'Start a new chat, or lower “Max tokens” in Settings.', actions: ['newchat', 'settings'] },
  INVALID_ARG: { title: 'A setting is out of range.', hint: 'Check the values in Settings.', actions: ['settings'] },
  BUSY: { title: 'The model is busy.', hint: 'Wait for the current reply to finish, or stop it.', actions: [] },
  RUNTIME: { title: 'The engine stopped unexpectedly.', hint: 'Reload the model to continue; the conversation is kept.', actions: ['reload'] },
  WORKER: { title: 'The engine’s worker stopped.', hint: 'Reload the model to continue; the conversation is kept.', actions: ['reload'] },
};

/**
 * What to tell a person about an error: a title, a hint saying what to do, the library's own
 * message as detail, and the actions to offer.
 * @param {any} e an LmError (has .code), a DOMException, or anything thrown
 * @returns {{ code: string, title: string, hint: string, detail: string, actions: Action[] }}
 */
export function describeError(e) {
  const code = typeof e?.code === 'string' ? e.code : (e?.name === 'QuotaExceededError' ? 'QUOTA' : 'UNKNOWN');
  const detail = e?.message ? String(e.message) : String(e);
  const known = BY_CODE[code];
  if (!known) return { code, title: 'Something went wrong.', hint: 'Retry; if it keeps happening, reload the page.', detail, actions: ['retry'] };
  let { title, hint } = known;
  if (code === 'QUOTA' && Number.isFinite(e?.detail?.needed))
    hint = `It needs ${bytes(e.detail.needed)}; ${bytes(e.detail.available)} are free. ${hint}`;
  if (code === 'FETCH') {
    const status = /HTTP (\d{3})/.exec(detail)?.[1];
    if (status === '404') { title = 'The server has no file at that URL (HTTP 404).'; hint = 'Check the URL: for Hugging Face it looks like …/resolve/main/name.gguf.'; }
    else if (status === '401' || status === '403') { title = `The server refused the download (HTTP ${status}).`; hint = 'The model may be gated or private: open its page, accept the license, or use another URL.'; }
    else if (!status && typeof navigator === 'object' && navigator.onLine === false) { title = 'You are offline.'; hint = 'Connect and retry, or use a model saved for offline use.'; }
  }
  return { code, title, hint, detail, actions: known.actions };
}

/** Hugging Face page links (…/blob/…) → download links (…/resolve/…); other URLs unchanged. */
export function normalizeModelUrl(text) {
  const url = new URL(text.trim(), typeof location === 'object' ? location.href : undefined);
  if (/(^|\.)huggingface\.co$/.test(url.hostname)) url.pathname = url.pathname.replace(/^(\/[^/]+\/[^/]+)\/blob\//, '$1/resolve/');
  return url.href;
}

/** A short display name for a model source. */
export function modelName(source) {
  if (typeof source === 'string') {
    try { return decodeURIComponent(new URL(source).pathname.split('/').pop() || source); } catch { return source; }
  }
  return source?.name ?? 'model';
}
