// @ts-check
// http.js — one model file over HTTP(S): a first request that both probes Range support and starts
// the download, then byte ranges that survive dropped connections (retry with exponential backoff,
// resuming from the last byte received), stall timeouts, and servers that ignore Range (one plain
// stream, restarted from byte 0 on failure). Redirects (Hugging Face /resolve/ URLs go to a CDN)
// are followed by fetch; later requests go to the final URL, and back to the original if that one
// expires. Errors: FETCH (network, HTTP status, timeouts after retries), TRUNCATED (the file is
// shorter than the model needs), AbortError.
import { LmError, abortError } from './errors.js';

/** Thrown when a Range request is answered with the whole file: the caller switches to one stream. */
export class RangeRefused extends Error {}

const RETRY_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
const EXPIRED_STATUS = new Set([401, 403, 404, 410]);
const BACKOFF_MS = 250, BACKOFF_MAX_MS = 4000;

// A failure worth another attempt; `ended`: the body ended cleanly before the bytes we need.
class Retryable extends Error {
  constructor(message, ended = false) { super(message); this.ended = ended; }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { signal?.removeEventListener('abort', on); resolve(undefined); }, ms);
    const on = () => { clearTimeout(t); reject(abortError(signal)); };
    signal?.addEventListener('abort', on, { once: true });
  });
}

/** An AbortController that also aborts when `signal` does; call the returned unlink when done. */
function linked(signal) {
  const ctl = new AbortController();
  const on = () => ctl.abort(signal?.reason);
  if (signal?.aborted) ctl.abort(signal.reason); else signal?.addEventListener('abort', on, { once: true });
  return { ctl, unlink: () => signal?.removeEventListener('abort', on) };
}

/** @returns {{ start: number, end: number, total: number | undefined } | null} from Content-Range */
function contentRange(res) {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
  return m ? { start: Number(m[1]), end: Number(m[2]) + 1, total: m[3] === '*' ? undefined : Number(m[3]) } : null;
}

export class HttpFile {
  /** @type {number | undefined} bytes the server says the file has */ size;
  /** @type {boolean} */ ranged = false;
  /** @type {boolean} */ probed = false;
  /** @type {string | null} */ etag = null;

  /**
   * @param {string} url
   * @param {{ signal?: AbortSignal, retries: number, timeoutMs: number }} o
   */
  constructor(url, { signal, retries, timeoutMs }) {
    this.url = url;          // what the caller asked for
    this.target = url;       // where requests go (the redirect target once known)
    this.signal = signal;
    this.retries = retries;
    this.timeoutMs = timeoutMs;
  }

  /**
   * Yields the file's bytes from `start` in order until `lim.end`, whatever it takes: retries
   * resume at the last byte received. Bytes past lim.minEnd are optional (the padding after the
   * last tensor): the body ending there, cleanly or not, finishes the range. lim is read on
   * every chunk, so a caller that learns the file's size later may set end/minEnd then. The
   * first request a file sees (Range: bytes=0-) also learns its size, Range support and ETag.
   * Throws RangeRefused when a ranged server starts answering with the whole file.
   * @param {number} start
   * @param {{ end: number, minEnd?: number, signal?: AbortSignal }} lim
   */
  async *stream(start, lim) {
    const signal = lim.signal ?? this.signal;
    let pos = start, failures = 0;
    while (pos < lim.end) {
      const a = linked(signal);
      let timer, reader = null, at = pos;
      const arm = () => { clearTimeout(timer); timer = setTimeout(() => a.ctl.abort(new Retryable('stalled')), this.timeoutMs); };
      try {
        arm();
        const res = await fetch(this.target, { headers: this.#range(pos, lim.end), signal: a.ctl.signal, cache: 'no-store' });
        at = this.#bodyStart(res, pos);
        reader = res.body.getReader();
        for (;;) {
          arm();
          const { done, value } = await reader.read();
          if (done) break;
          let chunk = value;
          if (at < pos) { const skip = Math.min(pos - at, chunk.length); chunk = chunk.subarray(skip); at += skip; }
          if (chunk.length > lim.end - pos) chunk = chunk.subarray(0, lim.end - pos);
          at += chunk.length;
          pos += chunk.length;
          if (chunk.length) { failures = 0; yield chunk; }
          if (pos >= lim.end) return;
        }
        if (pos >= (lim.minEnd ?? lim.end)) return;
        throw new Retryable(`the response ended after byte ${pos}`, true);
      } catch (e) {
        if (e instanceof RangeRefused) throw e;
        if (signal?.aborted) throw abortError(signal);
        if (pos >= (lim.minEnd ?? lim.end) && !(e instanceof LmError)) return;   // only padding is missing (a Content-Length too large)
        await this.#failed(e, ++failures, pos, signal);
      } finally {
        clearTimeout(timer);
        reader?.cancel().catch(() => {});
        a.unlink();
      }
    }
  }

  #range(pos, end) {
    if (!this.probed) return { Range: `bytes=${pos}-` };
    return this.ranged ? { Range: `bytes=${pos}-${Number.isFinite(end) ? end - 1 : ''}` } : {};
  }

  // The first response: size, Range support (a 206 for bytes=0-), ETag, redirect target.
  #probe(res) {
    this.probed = true;
    this.target = res.url || this.target;
    const cr = contentRange(res), len = Number(res.headers.get('content-length') ?? NaN);
    const enc = res.headers.get('content-encoding'), encoded = !!enc && enc !== 'identity';
    if (res.status === 206 && cr && cr.start !== 0) throw new LmError('FETCH', `${this.url}: asked for bytes from 0, got ${cr.start}`);
    this.ranged = res.status === 206 && !encoded;
    this.size = cr?.total ?? (Number.isFinite(len) && len > 0 && !encoded && res.status === 200 ? len : undefined);
    if (res.status === 206 && !cr && Number.isFinite(len)) this.size = len;   // Content-Range not exposed (CORS): bytes=0- is the whole file
    this.etag = res.headers.get('etag');
  }

  // File offset of the first body byte; throws for statuses that cannot serve [pos, ...).
  #bodyStart(res, pos) {
    this.#status(res);
    if (!this.probed) { this.#probe(res); return this.ranged ? pos : 0; }
    if (res.status === 206) {
      const cr = contentRange(res), etag = res.headers.get('etag');
      if (cr && cr.start !== pos) throw new LmError('FETCH', `${this.url}: asked for bytes from ${pos}, got ${cr.start}`);
      if (etag && this.etag && etag !== this.etag) throw new LmError('FETCH', `${this.url} changed during the download (ETag ${this.etag} -> ${etag})`);
      return pos;
    }
    if (pos > 0 && this.ranged) { res.body?.cancel().catch(() => {}); throw new RangeRefused(`${this.url}: the server ignored a Range request`); }
    return 0;   // a plain stream: restart from byte 0 and skip what we have
  }

  #status(res) {
    if (res.ok) return;
    res.body?.cancel().catch(() => {});
    if (res.status === 416) throw new LmError('TRUNCATED', `${this.url}: the server says the file ends before the bytes the model needs (HTTP 416)`);
    if (EXPIRED_STATUS.has(res.status) && this.target !== this.url) {
      this.target = this.url;   // a signed redirect target expired: ask the original URL again
      throw new Retryable(`HTTP ${res.status} from the redirect target`);
    }
    const msg = `fetching ${this.url} failed: HTTP ${res.status} ${res.statusText}`.trim();
    throw RETRY_STATUS.has(res.status) ? new Retryable(msg) : new LmError('FETCH', msg);
  }

  // Rethrows what cannot be retried; otherwise waits out the backoff.
  async #failed(e, failures, pos = 0, signal = this.signal) {
    if (signal?.aborted) throw abortError(signal);
    if (e instanceof LmError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    if (failures > this.retries) {
      throw new LmError(e instanceof Retryable && e.ended ? 'TRUNCATED' : 'FETCH', `${this.url}: ${why} (gave up after ${this.retries} retries at byte ${pos})`, { cause: e });
    }
    await sleep(Math.min(BACKOFF_MS * 2 ** (failures - 1), BACKOFF_MAX_MS), signal);
  }
}

/**
 * Whether a cached copy still is what `url` serves: one small request (Range: bytes=0-0)
 * compares the ETag, or else the size. Anything inconclusive (offline, a timeout, an error
 * status, no ETag or size) keeps the cached copy: the cache is there to work without a network.
 * @param {{ etag?: string, size: number }} cached
 * @returns {Promise<boolean>}
 */
export async function stillServed(url, cached, { timeoutMs, signal }) {
  const { ctl, unlink } = linked(signal);
  const timer = setTimeout(() => ctl.abort(), Math.min(timeoutMs, 5000));
  try {
    const res = await fetch(url, { headers: { Range: 'bytes=0-0' }, signal: ctl.signal, cache: 'no-store' });
    res.body?.cancel().catch(() => {});
    if (!res.ok) return true;
    const etag = res.headers.get('etag'), len = Number(res.headers.get('content-length') ?? NaN);
    const size = res.status === 206 ? contentRange(res)?.total : Number.isFinite(len) ? len : undefined;
    if (etag && cached.etag) return etag === cached.etag;
    return size === undefined || size === cached.size;
  } catch (e) {
    if (signal?.aborted) throw abortError(signal);
    return true;
  } finally {
    clearTimeout(timer);
    unlink();
  }
}
