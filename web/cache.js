// @ts-check
// cache.js — models kept by the browser between visits: the Origin Private File System when it
// can write (OPFS: random-access writes while the download runs, files > 4 GB), else the Cache
// API. An entry is one file (gguf-split shards end to end) plus its metadata, keyed by URL and
// recording ETag, sizes and sha256. Nothing partial is ever readable as a model: OPFS data goes
// through createWritable(), whose swap file replaces the entry only on close(), and the metadata
// file (the commit mark) is written after that; the Cache API stores a response only once its
// body has been read to the end. Entries are written only after the bytes are complete and
// verified (loader.js).
import { LmError } from './errors.js';
import { sha256Hex } from './sha256.js';
import { canonicalUrl, shardNames } from './sources.js';

const DIR = 'pocketlm-models';
const CACHE_NAME = 'pocketlm-models-v1';
const META_HEADER = 'x-pocketlm-meta';
const COMBINE = 4 << 20;   // bytes gathered before one OPFS write (fewer, larger writes)

/**
 * @typedef {{ v: 1, url: string, urls: string[], sizes: number[], size: number, etag?: string,
 *             sha256?: string[], cachedAt: number }} EntryMeta
 */

const keyOf = (url) => 'm' + sha256Hex(url).slice(0, 40);

/** The cache key of what a user calls a model's URL (HF page URLs and any shard name its first shard's). */
export function entryUrl(url) {
  const u = canonicalUrl(url);
  return shardNames(u)?.[0] ?? u;
}

const opfsUsable = () => typeof navigator === 'object' && typeof navigator.storage?.getDirectory === 'function' &&
  typeof FileSystemFileHandle === 'function' && typeof FileSystemFileHandle.prototype.createWritable === 'function';
const cacheApiUsable = () => typeof caches === 'object' && typeof caches?.open === 'function';

/** Bytes free for this origin (Infinity when the browser does not say). */
export async function freeBytes() {
  const e = await navigator.storage?.estimate?.().catch(() => null);
  return e && Number.isFinite(e.quota) ? Math.max(0, e.quota - (e.usage ?? 0)) : Infinity;
}

/** Throws QUOTA (with the sizes) when `bytes` do not fit in this origin's storage. */
export async function checkQuota(bytes) {
  const free = await freeBytes();
  if (bytes > free)
    throw new LmError('QUOTA', `the model needs ${bytes} bytes of storage to be cached; ${Math.floor(free)} are free ` +
                      `(load it with { cache: false } to run it from memory)`, { detail: { needed: bytes, available: Math.floor(free) } });
}

class OpfsStore {
  name = 'opfs';
  /** @param {any} dir FileSystemDirectoryHandle */
  constructor(dir) { this.dir = dir; }
  static async open() { return new OpfsStore(await (await navigator.storage.getDirectory()).getDirectoryHandle(DIR, { create: true })); }

  async #meta(key) {
    try {
      const m = JSON.parse(await (await (await this.dir.getFileHandle(key + '.json')).getFile()).text());
      return m?.v === 1 ? /** @type {EntryMeta} */ (m) : null;
    } catch { return null; }
  }

  /** @returns {Promise<{ meta: EntryMeta, blob: Blob } | null>} */
  async lookup(url) {
    const key = keyOf(url), meta = await this.#meta(key);
    if (!meta || meta.url !== url) return null;
    try {
      const blob = await (await this.dir.getFileHandle(key + '.gguf')).getFile();
      return blob.size === meta.size ? { meta, blob } : null;
    } catch { return null; }
  }

  async begin(url) {
    const key = keyOf(url);
    await this.dir.removeEntry(key + '.json').catch(() => {});   // an entry being replaced is no entry
    const file = await this.dir.getFileHandle(key + '.gguf', { create: true });
    return new OpfsWriter(this.dir, key, file, await file.createWritable({ keepExistingData: false }));
  }

  async list() {
    const out = [];
    for await (const name of this.dir.keys()) {
      if (!name.endsWith('.json')) continue;
      const meta = await this.#meta(name.slice(0, -5));
      if (meta && await this.lookup(meta.url)) out.push(meta);
    }
    return out;
  }

  async delete(url) {
    const key = keyOf(url), had = !!(await this.#meta(key));
    await this.dir.removeEntry(key + '.json').catch(() => {});
    await this.dir.removeEntry(key + '.gguf').catch(() => {});
    return had;
  }
}

class OpfsWriter {
  #w; #err = null;
  /** @type {Map<number, { pos: number, buf: Uint8Array, len: number }>} next position -> pending run */ #runs = new Map();
  constructor(dir, key, file, writable) { this.dir = dir; this.key = key; this.file = file; this.#w = writable.getWriter(); }

  /** Writes bytes at file position pos; resolves when the stream can take more (backpressure). */
  write(pos, bytes) {
    if (this.#err) return undefined;
    let run = this.#runs.get(pos);
    if (run) this.#runs.delete(pos);
    if (run && run.len + bytes.length > run.buf.length) { this.#flush(run); run = undefined; }
    if (!run && bytes.length >= COMBINE) { this.#put(pos, bytes.slice()); return this.#w.ready; }
    run ??= { pos, buf: new Uint8Array(COMBINE), len: 0 };
    run.buf.set(bytes, run.len);
    run.len += bytes.length;
    this.#runs.set(run.pos + run.len, run);
    if (this.#runs.size > 16) { const [k, oldest] = this.#runs.entries().next().value; this.#runs.delete(k); this.#flush(oldest); }
    return this.#w.ready;
  }

  #flush(run) { if (run.len) this.#put(run.pos, run.buf.subarray(0, run.len)); }
  #put(position, data) { this.#w.write({ type: 'write', position, data }).catch((e) => { this.#err ??= e; }); }

  /** Closes the data file (it now holds all the bytes at once), then writes the commit mark. */
  async commit(meta) {
    for (const run of this.#runs.values()) this.#flush(run);
    this.#runs.clear();
    await this.#w.close();
    if (this.#err) throw this.#err;
    const blob = await this.file.getFile();
    if (blob.size !== meta.size) throw new Error(`cache file has ${blob.size} bytes, expected ${meta.size}`);
    const mh = await this.dir.getFileHandle(this.key + '.json', { create: true }), mw = await mh.createWritable();
    await mw.write(JSON.stringify(meta));
    await mw.close();
    return blob;
  }

  async abort() {
    this.#runs.clear();
    await this.#w.abort().catch(() => {});
    await this.dir.removeEntry(this.key + '.gguf').catch(() => {});
  }
}

class CacheApiStore {
  name = 'cache-api';
  constructor(cache) { this.cache = cache; }
  static async open() { return new CacheApiStore(await caches.open(CACHE_NAME)); }

  async lookup(url) {
    const res = await this.cache.match(url).catch(() => null);
    const meta = res && parseMeta(res);
    if (!meta || meta.url !== url) return null;
    const blob = await res.blob();
    return blob.size === meta.size ? { meta, blob } : null;
  }

  async begin(url) {
    await this.cache.delete(url);
    return new CacheApiWriter(this.cache, url);
  }

  async list() {
    const out = [];
    for (const req of await this.cache.keys()) {
      const res = await this.cache.match(req);
      const meta = res && parseMeta(res);
      if (meta) out.push(meta);
      res?.body?.cancel().catch(() => {});
    }
    return out;
  }

  async delete(url) { return this.cache.delete(url); }
}

function parseMeta(res) {
  try { const m = JSON.parse(res.headers.get(META_HEADER) ?? ''); return m?.v === 1 ? /** @type {EntryMeta} */ (m) : null; } catch { return null; }
}

// The Cache API stores whole responses: bytes cannot be written while they download, so the
// verified model is read back (from the heap and the ext store) into one response at commit.
class CacheApiWriter {
  constructor(cache, url) { this.cache = cache; this.url = url; }
  write() { return undefined; }
  /** @param {EntryMeta} meta @param {() => AsyncIterator<Uint8Array>} readBack the entry's bytes in order */
  async commit(meta, readBack) {
    const it = readBack();
    const body = new ReadableStream({
      async pull(ctl) { const { done, value } = await it.next(); if (done) ctl.close(); else ctl.enqueue(value); },
      async cancel() { await it.return?.(); },
    });
    await this.cache.put(this.url, new Response(body, { headers: {
      'content-type': 'application/octet-stream', 'content-length': String(meta.size), [META_HEADER]: JSON.stringify(meta) } }));
    const res = await this.cache.match(this.url);
    return res ? res.blob() : null;
  }
  async abort() {}
}

/** Stores to read from, preferred first (both can hold entries: OPFS may have been unusable before). */
export async function openStores() {
  const out = [];
  if (opfsUsable()) out.push(await OpfsStore.open().catch(() => null));
  if (cacheApiUsable()) out.push(await CacheApiStore.open().catch(() => null));
  return out.filter(Boolean);
}

export function requestPersistence() { navigator.storage?.persist?.().catch(() => {}); }

/** @returns {Promise<Array<{ url: string, size: number, etag?: string, cachedAt: number }>>} */
export async function listCached() {
  const seen = new Map();
  for (const st of await openStores())
    for (const m of await st.list()) if (!seen.has(m.url)) seen.set(m.url, { url: m.url, size: m.size, ...(m.etag ? { etag: m.etag } : {}), cachedAt: m.cachedAt });
  return [...seen.values()];
}

/** @returns {Promise<boolean>} whether an entry was deleted */
export async function deleteCached(url) {
  const key = entryUrl(url);
  let any = false;
  for (const st of await openStores()) any = (await st.delete(key)) || any;
  return any;
}
