// @ts-check
// sources.js — what a model can be loaded from, behind one small interface, and how a source names
// its gguf-split shards. Every source reads a file from byte 0 (the header) and then byte ranges;
// those with random access (File/Blob, Node path, bytes, HTTP with Range) also read ranges out of
// order and can keep a table outside the heap without copying it (ext-store.js).
//
//   kind     'network' | 'file' | 'memory' | 'stream'
//   size     bytes the source has (undefined until open() for HTTP, unknown for streams)
//   ranged   range() may be called with any [start, end) and several at once
//   open()   -> { head: HTTP's first response, which the first range may continue (or null); chunks from byte 0 }
//   range(start, end, { minEnd, signal }) -> AsyncIterable<Uint8Array> of exactly [start, end)
//   ext(base, length) -> an ExtStore over the source's own bytes, or null
import { LmError, abortError } from './errors.js';
import { HttpFile } from './http.js';
import { BlobExt, BufferExt, FileExt } from './ext-store.js';

const isNode = typeof process === 'object' && !!process.versions?.node;
const looksLikeUrl = (s) => /^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s);
const SHARD_RE = /-(\d{5})-of-(\d{5})\.gguf$/;
const READ = 4 << 20;   // bytes per read for local sources

/** A `hf.co/.../blob/...` page URL names the file at `.../resolve/...` (the page itself is HTML). */
export function canonicalUrl(url) {
  const u = new URL(url, globalThis.location?.href);
  if (/(^|\.)(huggingface\.co|hf\.co)$/.test(u.hostname)) u.pathname = u.pathname.replace(/^(\/[^/]+\/[^/]+\/)blob\//, '$1resolve/');
  return u.href;
}

/** All shard names of a "-0000k-of-0000N.gguf" name (URL or path), or null. */
export function shardNames(name) {
  const isUrl = looksLikeUrl(name) || !isNode;
  const u = isUrl ? new URL(name, globalThis.location?.href) : null;
  const path = u ? u.pathname : name, m = SHARD_RE.exec(path);
  if (!m || Number(m[2]) < 2) return null;
  const n = Number(m[2]);
  return Array.from({ length: n }, (_, i) => {
    const p = path.replace(SHARD_RE, `-${String(i + 1).padStart(5, '0')}-of-${m[2]}.gguf`);
    if (!u) return p;
    const v = new URL(u.href);
    v.pathname = p;
    return v.href;
  });
}

class HttpSource {
  kind = 'network';
  /** @param {string} url @param {{ signal?: AbortSignal, retries: number, timeoutMs: number }} o */
  constructor(url, o) { this.url = url; this.file = new HttpFile(url, o); }
  get size() { return this.file.size; }
  get ranged() { return this.file.ranged; }
  get etag() { return this.file.etag; }
  /** The first request, read with retries; range() may continue it through `head` (lim is set then). */
  async open() {
    const lim = { end: Number.MAX_SAFE_INTEGER, minEnd: Number.MAX_SAFE_INTEGER }, it = this.file.stream(0, lim);
    const head = { it, lim, at: 0 };
    return { head, chunks: (async function* () { for (;;) { const { done, value } = await it.next(); if (done) return; head.at += value.length; yield value; } })() };
  }
  range(start, end, { minEnd = end, signal } = {}) { return this.file.stream(start, { end, minEnd, signal }); }
  ext() { return null; }
  /** Gives up open()'s response (its bytes so far are kept by the caller). */
  drop(head) { head.it.return().catch(() => {}); }
}

class BlobSource {
  kind = 'file';
  ranged = true;
  /** @param {Blob} blob @param {string} [kind] */
  constructor(blob, kind = 'file') { this.blob = blob; this.size = blob.size; this.kind = kind; }
  async open() { return { head: null, chunks: this.range(0, this.size) }; }
  async *range(start, end, { signal } = {}) {
    for (let pos = start; pos < end; pos += READ) {
      if (signal?.aborted) throw abortError(signal);
      yield new Uint8Array(await this.blob.slice(pos, Math.min(end, pos + READ)).arrayBuffer());
    }
  }
  ext(base, length) { return new BlobExt(this.blob, base, length); }
}

class BufferSource {
  kind = 'memory';
  ranged = true;
  /** @param {Uint8Array} bytes */
  constructor(bytes) { this.bytes = bytes; this.size = bytes.length; }
  async open() { return { head: null, chunks: this.range(0, this.size) }; }
  async *range(start, end) { for (let pos = start; pos < end; pos += READ) yield this.bytes.subarray(pos, Math.min(end, pos + READ)); }
  ext(base, length) { return new BufferExt(this.bytes.subarray(base, base + length)); }
}

class PathSource {
  kind = 'file';
  ranged = true;
  /** @type {number | undefined} */ size;
  /** @param {string} path */
  constructor(path) { this.path = path; }
  async open() {
    this.fs = await import('node:fs');
    try {
      this.size = (await this.fs.promises.stat(this.path)).size;
    } catch (e) {
      throw new LmError('IO', `cannot open ${this.path}: ${e instanceof Error ? e.message : e}`, { cause: e });
    }
    return { head: null, chunks: this.range(0, this.size) };
  }
  async *range(start, end, { signal } = {}) {
    const fh = await this.fs.promises.open(this.path, 'r');
    try {
      for (let pos = start; pos < end;) {
        if (signal?.aborted) throw abortError(signal);
        const buf = new Uint8Array(Math.min(READ, end - pos));
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (!bytesRead) throw new LmError('TRUNCATED', `${this.path} ended after ${pos} bytes`);
        pos += bytesRead;
        yield buf.subarray(0, bytesRead);
      }
    } finally { await fh.close(); }
  }
  ext(base, length) { return new FileExt(this.fs, this.path, base, length); }
}

/** A ReadableStream: read once, in order; nothing can be retried or skipped. */
class StreamSource {
  kind = 'stream';
  ranged = false;
  size = undefined;
  /** @param {ReadableStream<Uint8Array>} stream */
  constructor(stream) { this.stream = stream; }
  async open() {
    this.reader = this.stream.getReader();
    const reader = this.reader;
    return { head: null, chunks: (async function* () { for (;;) { const { done, value } = await reader.read(); if (done) return; if (value?.length) yield value; } })() };
  }
  async *range(start, end) {
    // continues where open()'s chunks stopped, which the loader leaves exactly at `start`
    for (let pos = start; pos < end;) {
      const { done, value } = await this.reader.read();
      if (done) throw new LmError('TRUNCATED', `the stream ended after ${pos} of ${end} bytes`);
      const chunk = value.subarray(0, end - pos);
      pos += chunk.length;
      if (chunk.length) yield chunk;
    }
  }
  drop() { this.reader?.cancel().catch(() => {}); }
  ext() { return null; }
}

/**
 * The sources of one model: one per file (several for gguf-split shards: a list, or a single
 * "-00001-of-0000N" URL/path whose siblings are derived). `key` names it in the cache (URLs only).
 * @returns {{ sources: any[], key: string | null, urls: string[] | null }}
 */
export function resolveSources(source, o) {
  const list = Array.isArray(source) ? source : [source];
  if (list.length === 0) throw new LmError('INVALID_ARG', 'an empty list of model files');
  const strings = list.every((s) => typeof s === 'string' || s instanceof URL);
  if (strings) {
    let names = list.map((s) => String(s));
    const urls = names.every((s) => looksLikeUrl(s) || !isNode);
    if (urls) names = names.map(canonicalUrl);
    if (names.length === 1) names = shardNames(names[0]) ?? names;
    if (urls) return { sources: names.map((u) => new HttpSource(u, o)), key: names[0], urls: names };
    if (!isNode) throw new LmError('INVALID_ARG', 'file paths can be loaded in Node only');
    return { sources: names.map((p) => new PathSource(p)), key: null, urls: null };
  }
  return { sources: list.map(single), key: null, urls: null };
}

function single(s) {
  if (s instanceof ArrayBuffer) return new BufferSource(new Uint8Array(s));
  if (ArrayBuffer.isView(s)) return new BufferSource(new Uint8Array(s.buffer, s.byteOffset, s.byteLength));
  if (typeof Blob !== 'undefined' && s instanceof Blob) return new BlobSource(s);
  if (typeof ReadableStream !== 'undefined' && s instanceof ReadableStream) return new StreamSource(s);
  throw new LmError('INVALID_ARG', 'a model source is a URL, a File/Blob, bytes, a ReadableStream or (Node) a path, or a list of them (gguf-split shards)');
}

/** A cached copy: shard k is bytes [offsets[k], offsets[k] + sizes[k]) of one Blob. */
export function cachedSources(blob, sizes) {
  let off = 0;
  return sizes.map((n) => { const s = new BlobSource(blob.slice(off, off + n), 'cache'); off += n; return s; });
}
