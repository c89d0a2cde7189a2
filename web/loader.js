// @ts-check
// loader.js — any model source → bytes in their final place in the wasm heap, with no whole-file
// copy in JS: the GGUF header is parsed from the first chunks (a non-GGUF source fails before the
// rest is read), the memory plan sizes one allocation, and every later chunk is copied straight
// to its offset. Sources: URL string, File/Blob, ArrayBuffer/typed array, ReadableStream, and in
// Node a filesystem path. Resumable/parallel/cached downloads are the loader issue's (#5).
import { LmError, abortError, throwIfAborted } from './errors.js';

const WASM32_MAX = 4 * 1024 ** 3 - 64 * 1024;   // bytes a wasm32 memory can hold
const PROGRESS_MS = 50;

const isNode = typeof process === 'object' && !!process.versions?.node;
const looksLikeUrl = (s) => /^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s);

/** @returns {Promise<{ chunks: AsyncIterable<Uint8Array>, total: number | undefined, phase: string }>} */
async function openSource(source, signal) {
  if (typeof source === 'string' && (!isNode || looksLikeUrl(source))) return openUrl(source, signal);
  if (typeof source === 'string') return openPath(source);
  if (source instanceof ArrayBuffer) source = new Uint8Array(source);
  if (ArrayBuffer.isView(source)) {
    const u8 = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    return { chunks: (async function* () { yield u8; })(), total: u8.length, phase: 'load' };
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) return { chunks: streamChunks(source.stream()), total: source.size, phase: 'load' };
  if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream) return { chunks: streamChunks(source), total: undefined, phase: 'load' };
  throw new LmError('INVALID_ARG', 'model source must be a URL string, File/Blob, ArrayBuffer, typed array, ReadableStream or (Node) a path');
}

async function openUrl(url, signal) {
  let res;
  try {
    res = await fetch(url, { signal });
  } catch (e) {
    if (signal?.aborted) throw abortError(signal);
    throw new LmError('FETCH', `cannot fetch ${url}: ${e instanceof Error ? e.message : e}`, { cause: e });
  }
  if (!res.ok || !res.body) throw new LmError('FETCH', `fetching ${url} failed: HTTP ${res.status} ${res.statusText}`);
  const len = Number(res.headers.get('content-length'));
  const encoded = res.headers.get('content-encoding');
  return { chunks: streamChunks(res.body), total: Number.isFinite(len) && len > 0 && !encoded ? len : undefined, phase: 'download' };
}

async function openPath(path) {
  const fs = await import('node:fs');
  let fh;
  try {
    fh = await fs.promises.open(path, 'r');
  } catch (e) {
    throw new LmError('IO', `cannot open ${path}: ${e instanceof Error ? e.message : e}`, { cause: e });
  }
  const { size } = await fh.stat();
  async function* chunks() {
    try {
      for (;;) {
        const buf = new Uint8Array(4 << 20);
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (!bytesRead) return;
        yield buf.subarray(0, bytesRead);
      }
    } finally { await fh.close(); }
  }
  return { chunks: chunks(), total: size, phase: 'load' };
}

async function* streamChunks(stream) {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value?.length) yield value;
    }
  } finally { reader.releaseLock(); }
}

// A growable byte buffer for the header prefix (doubling, so appends stay linear).
class Prefix {
  constructor() { this.buf = new Uint8Array(64 * 1024); this.length = 0; }
  push(chunk) {
    if (this.length + chunk.length > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + chunk.length));
      next.set(this.bytes());
      this.buf = next;
    }
    this.buf.set(chunk, this.length);
    this.length += chunk.length;
  }
  bytes() { return this.buf.subarray(0, this.length); }
}

/**
 * Streams a model into the heap.
 * @returns {Promise<{ ptr: number, len: number, plan: { weights: number, kv: number, scratch: number } }>}
 *   ptr/len: the file image (owned by the caller: free it after the model)
 */
export async function loadIntoHeap(abi, source, { signal, onProgress, nCtx = 0, nBatch = 0 } = {}) {
  throwIfAborted(signal);
  const { chunks, total, phase } = await openSource(source, signal);
  const it = chunks[Symbol.asyncIterator]();
  const prefix = new Prefix();
  let plan, loaded = 0, last = 0, need = 4;   // the magic is checked as soon as 4 bytes are in
  const progress = (force) => {
    const now = Date.now();
    if (onProgress && (force || now - last >= PROGRESS_MS)) { last = now; onProgress({ phase, loaded, total: total ?? plan?.fileSize }); }
  };
  try {
    while (!plan) {            // header phase: the prefix grows until the parser has what it needs
      throwIfAborted(signal);
      const { done, value } = await it.next();
      if (done) {
        abi.planFromHeader(prefix.bytes(), nCtx, nBatch);   // throws BAD_MAGIC etc. when that is the real problem
        throw new LmError('TRUNCATED', `the source ended inside the GGUF header (after ${prefix.length} bytes)`);
      }
      prefix.push(value);
      loaded += value.length;
      progress(false);
      if (prefix.length < need) continue;
      const r = abi.planFromHeader(prefix.bytes(), nCtx, nBatch);
      if ('need' in r) need = r.need; else plan = r;
    }
    return await streamBody(abi, it, prefix.bytes(), plan, { total, signal, progress, setLoaded: (n) => { loaded = n; } });
  } catch (e) {
    await it.return?.();
    throw e;
  }
}

async function streamBody(abi, it, prefix, plan, { total, signal, progress, setLoaded }) {
  const size = plan.fileSize;
  if (total !== undefined && total < size) throw new LmError('TRUNCATED', `the source has ${total} bytes; the model's header says ${size}`);
  if (size + plan.kv + plan.scratch > WASM32_MAX)
    throw new LmError('TOO_LARGE', `model (${size} bytes) + KV cache (${plan.kv}) + scratch (${plan.scratch}) exceed the 4 GiB of a wasm32 heap`);
  const ptr = abi.alloc(size);
  try {
    let off = Math.min(prefix.length, size);
    abi.write(ptr, prefix.subarray(0, off));
    while (off < size) {
      throwIfAborted(signal);
      const { done, value } = await it.next();
      if (done) throw new LmError('TRUNCATED', `the source ended after ${off} of ${size} bytes`);
      const n = Math.min(value.length, size - off);
      abi.write(ptr + off, value.subarray(0, n));
      off += n;
      setLoaded(off);
      progress(false);
    }
    progress(true);
    await it.return?.();
    return { ptr, len: size, plan };
  } catch (e) {
    abi.free(ptr);
    throw e;
  }
}
