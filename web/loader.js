// @ts-check
// loader.js — any model source → the bytes the engine needs, in their final place in the wasm
// heap, with no whole-file copy: each file's GGUF header is parsed from its first bytes (a
// non-GGUF source fails before the rest is read), memory is planned, one image is allocated, and
// every later chunk is written straight to its place. The image holds gguf-split shards end to
// end and leaves out the per-layer embedding table (gemma4), which stays in the source (File,
// OPFS, Node file, the caller's buffer) or in JS memory and is read by rows per decode
// (ext-store.js). Network downloads run as parallel byte ranges that resume after failures
// (http.js), are verified against sha256 while they stream when asked, and are cached (cache.js)
// only once complete and verified; a cached copy is used first, without the network.
import { LmError, abortError, throwIfAborted } from './errors.js';
import { MemExt } from './ext-store.js';
import { RangeRefused, stillServed } from './http.js';
import { Sha256 } from './sha256.js';
import { cachedSources, resolveSources } from './sources.js';
import { checkQuota, openStores, requestPersistence } from './cache.js';

const WASM32_MAX = 4 * 1024 ** 3 - 64 * 1024;   // bytes a wasm32 memory can hold
const PROGRESS_MS = 50, HEARTBEAT_MS = 100;
const PART = 32 << 20, MIN_PART = 256 << 10;     // byte-range sizes for parallel downloads
const PAD_MAX = 1 << 16;                         // bytes after the last tensor still fetched (file padding)
const STEP = 4 << 20;                            // bytes per read-back step (hashing, cache commit)

/** A cached copy whose bytes do not match the requested sha256 (loaded again from the network). */
class StaleCache extends Error {}

/**
 * @typedef {{ file: number, fileOff: number, len: number, ptr: number }} Piece  file bytes in one heap buffer
 * @typedef {{ start: number, end: number, pos: number, skip?: boolean }} Segment  file bytes [start, end), done up to pos
 * @typedef {object} Loaded
 * @property {Piece[]} pieces  the model in the heap (abi.modelLoad; the caller frees each ptr after the model)
 * @property {{ weights: number, kv: number, scratch: number, external: number }} plan  bytes; weights in the heap
 * @property {import('./ext-store.js').ExtStore | null} ext  the table left out of the heap
 * @property {{ from: string, cached: boolean, shards: number }} origin
 */

/**
 * Streams a model into the heap. Options as LOAD_DEFAULTS (options.js) plus nCtx/nBatch (kvCache sizes the plan).
 * @returns {Promise<Loaded>}
 */
export async function loadIntoHeap(abi, source, opts = {}) {
  const o = { nCtx: 0, nBatch: 0, kvCache: 'f16', cache: false, sha256: undefined, parallel: 4, retries: 5, timeoutMs: 30000, pleOutOfHeap: true, ...opts };
  throwIfAborted(o.signal);
  const ctl = new AbortController(), onAbort = () => ctl.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { sources, key, urls } = resolveSources(source, { signal: ctl.signal, retries: o.retries, timeoutMs: o.timeoutMs });
    const want = wantedHashes(o.sha256, sources.length);
    const stores = o.cache && key ? await openStores() : [];
    // cache first: a copy pinned by the same sha256 is used as is; otherwise one tiny request checks
    // that the server still has that file (offline, the copy is used)
    for (const st of stores) {
      const hit = await st.lookup(key).catch(() => null);
      if (!hit || (want && hit.meta.sha256 && want.some((h, i) => h !== hit.meta.sha256?.[i]))) continue;
      const verified = !!want && !!hit.meta.sha256;
      if (!verified && !(await stillServed(key, { etag: hit.meta.etag, size: hit.meta.sizes[0] }, { timeoutMs: o.timeoutMs, signal: ctl.signal }))) continue;
      try {
        return await load(abi, cachedSources(hit.blob, hit.meta.sizes), o, ctl.signal, { want: verified ? null : want, from: 'cache', cached: true });
      } catch (e) { if (!(e instanceof StaleCache)) throw e; }
    }
    return await load(abi, sources, o, ctl.signal, { want, from: sources[0].kind, cached: false, key, urls, stores });
  } catch (e) {
    throw o.signal?.aborted ? abortError(o.signal) : e;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    ctl.abort();   // whatever is still running (a parallel range after a failure) stops
  }
}

function wantedHashes(sha, n) {
  if (sha === undefined) return null;
  const list = (Array.isArray(sha) ? sha : [sha]).map((h) => h.toLowerCase());
  if (list.length !== n) throw new LmError('INVALID_ARG', `${list.length} sha256 values for ${n} model files`);
  return list;
}

// ---- one load: headers, plan, image, bodies, verification, cache commit ----

async function load(abi, sources, o, signal, how) {
  const p = new Progress(o.onProgress, how.from === 'network' ? 'download' : 'load');
  let writer = null, ext = null, shards = [];
  try {
    shards = await readHeaders(abi, sources, signal, p);
    const lay = layout(abi, shards, o);
    if (how.stores?.length) writer = await beginCache(how.stores, how.key, lay.entrySize);
    ext = lay.ext ? (lay.ext.shard.src.ext(lay.ext.off, lay.ext.len) ?? new MemExt(lay.ext.len)) : null;
    if (lay.ext) lay.ext.shard.extInSource = !(ext instanceof MemExt);
    for (const sh of shards) for (const pc of sh.pieces) pc.ptr = abi.alloc(pc.len);
    const img = new Image(abi, shards, ext, writer);
    const pump = how.want ? new Pump(img, shards, how.want, signal) : null;
    const queue = ranges(shards, o.parallel);
    p.start(shards);
    for (const sh of shards) await img.put(sh, 0, sh.prefix.subarray(0, sh.end));
    pump?.kick();
    await fetchBodies(shards, queue, img, pump, p, o.parallel, signal);
    dropHeads(shards);
    if (pump) await pump.finish(signal, how.from === 'cache' ? StaleCache : null);
    p.done();
    const origin = { from: how.from, cached: how.cached, shards: shards.length };
    if (writer) {
      const blob = await commitCache(writer, img, shards, how, signal).catch((e) => { if (signal.aborted) throw e; return null; });
      writer = null;
      origin.cached = !!blob;
      if (blob && ext instanceof MemExt) ext = cachedExt(blob, shards, lay.ext);   // the JS copy is freed
    }
    const pieces = shards.flatMap((sh) => sh.pieces);
    return { pieces, plan: { ...lay.plan, weights: lay.weights, external: lay.ext?.len ?? 0 }, ext, origin };
  } catch (e) {
    for (const sh of shards) for (const pc of sh.pieces ?? []) if (pc.ptr) abi.free(pc.ptr);
    ext?.close?.();
    await writer?.abort().catch(() => {});
    dropHeads(shards);
    throw e;
  } finally { p.stop(); }
}

function dropHeads(shards) {
  for (const sh of shards) if (sh.head) { sh.src.drop(sh.head); sh.head = null; }
}

// Reads every file's header; shards come back sorted by split.no and checked against each other.
async function readHeaders(abi, sources, signal, p) {
  const shards = [];
  for (const src of sources) {
    const { head, chunks } = await src.open();
    const prefix = new Prefix();
    let need = 4, layout = null;
    try {
      while (!layout) {
        throwIfAborted(signal);
        const { done, value } = await chunks.next();
        if (done) {
          abi.fileLayout(prefix.bytes());   // throws BAD_MAGIC etc. when that is the real problem
          throw new LmError('TRUNCATED', `the source ended inside the GGUF header (after ${prefix.length} bytes)`);
        }
        prefix.push(value);
        p.header(value.length, src.size);
        if (prefix.length < need) continue;
        const r = abi.fileLayout(prefix.bytes());
        if ('need' in r) need = r.need; else layout = r;
      }
    } catch (e) {
      if (head) src.drop(head);
      throw e;
    } finally { await chunks.return?.(); }
    const sh = { src, head, prefix: prefix.bytes(), layout, plan: null };
    shards.push(sh);
    if (head && (shards.length > 1 || sources.length > 1) && layout.splitNo !== 0) { src.drop(head); sh.head = null; }
  }
  shards.sort((a, b) => a.layout.splitNo - b.layout.splitNo);
  const n = shards.length;
  shards.forEach((sh, k) => {
    if (sh.layout.splitCount !== n && n === 1)
      throw new LmError('INVALID_ARG', `this file is shard ${sh.layout.splitNo + 1} of a ${sh.layout.splitCount}-file gguf-split model: ` +
                        'pass all of them (a list, or the first one\'s URL, ending in -00001-of-0000N.gguf)');
    if (sh.layout.splitCount !== n || sh.layout.splitNo !== k)
      throw new LmError('INVALID_ARG', `the ${n} files given are not the shards of one model (file ${k} says shard ${sh.layout.splitNo + 1} of ${sh.layout.splitCount})`);
  });
  return shards;
}

// Sizes, the heap pieces (cut where the header says: no buffer reaches 2 GiB, which wasm32's
// malloc cannot make), the table left out, the memory plan; TRUNCATED / TOO_LARGE early.
function layout(abi, shards, o) {
  const plan = abi.planFromHeader(shards[0].prefix, o.nCtx, o.nBatch, o.kvCache);
  if ('need' in plan) throw new LmError('CORRUPT', 'the memory plan needs more than the GGUF header');
  const extShard = o.pleOutOfHeap ? shards.find((sh) => sh.layout.extLen > 0) : undefined;
  let at = 0, weights = 0, entrySize = 0;
  for (const [k, sh] of shards.entries()) {
    const S = sh.layout.fileSize, T = sh.src.size;
    if (T !== undefined && T < S) throw new LmError('TRUNCATED', `the source has ${T} bytes; the model's header says ${S}`);
    sh.end = T !== undefined && T - S <= PAD_MAX ? T : S;   // keep the file's padding (sha256 covers it)
    sh.base = entrySize;
    entrySize += sh.end;
    weights += sh.layout.tensorBytes;
    const out = sh === extShard ? [sh.layout.extOff, sh.layout.extOff + sh.layout.extLen] : null;
    const bounds = [0, ...sh.layout.cuts.filter((c) => c > 0 && c < sh.end), sh.end];
    sh.pieces = /** @type {Piece[]} */ ([]);
    for (let i = 0; i + 1 < bounds.length; i++) {
      const [a, b] = [bounds[i], bounds[i + 1]];
      if (!out || a < out[0] || b > out[1]) sh.pieces.push({ file: k, fileOff: a, len: b - a, ptr: 0 });
    }
    for (const pc of sh.pieces) at += pc.len;
    sh.ext = out ? { off: out[0], end: out[1] } : null;
  }
  const ext = extShard ? { shard: extShard, off: extShard.layout.extOff, len: extShard.layout.extLen } : null;
  if (at + plan.kv + plan.scratch > WASM32_MAX)
    throw new LmError('TOO_LARGE', `model (${at} bytes in memory) + KV cache (${plan.kv}) + scratch (${plan.scratch}) exceed the 4 GiB of a wasm32 heap`);
  return { plan: { kv: plan.kv, scratch: plan.scratch }, imageLen: at, weights: weights - (ext?.len ?? 0), ext, entrySize };
}

// QUOTA when the entry cannot fit; other storage failures only mean the model is not cached.
async function beginCache(stores, key, size) {
  await checkQuota(size);
  requestPersistence();
  return stores[0].begin(key).catch(() => null);
}

async function commitCache(writer, img, shards, how, signal) {
  const meta = { v: 1, url: how.key, urls: how.urls, sizes: shards.map((sh) => sh.end), size: shards.reduce((s, sh) => s + sh.end, 0),
                 ...(shards[0].src.etag ? { etag: shards[0].src.etag } : {}), ...(how.want ? { sha256: how.want } : {}), cachedAt: Date.now() };
  return writer.commit(meta, async function* () {
    for (const sh of shards)
      for (let off = 0; off < sh.end;) {
        throwIfAborted(signal);
        const r = img.read(sh, off, Math.min(STEP, sh.end - off)), bytes = r instanceof Promise ? await r : r;
        off += bytes.length;
        yield bytes.slice();   // a copy: heap views detach when memory grows
      }
  });
}

function cachedExt(blob, shards, ext) {
  const sources = cachedSources(blob, shards.map((sh) => sh.end));
  return sources[shards.indexOf(ext.shard)].ext(ext.off, ext.len);
}

// ---- bodies: byte ranges in parallel, one stream where ranges are refused ----

// Segments of file bytes still to fetch per shard, after the prefix; a table kept in its own
// source is skipped. Parts of up to PART bytes, in file order, so hashing keeps up.
function ranges(shards, parallel) {
  const tasks = [];
  let rest = 0;
  for (const sh of shards) {
    sh.segs = [{ start: 0, end: Math.min(sh.prefix.length, sh.end), pos: Math.min(sh.prefix.length, sh.end) }];
    const skip = sh.ext && sh.extInSource ? [sh.ext.off, sh.ext.end] : null;   // the source holds the table itself
    const pe = sh.segs[0].end;
    const gaps = skip ? [[pe, Math.max(pe, skip[0])], [Math.max(pe, skip[1]), sh.end]] : [[pe, sh.end]];
    if (skip) sh.segs.push({ start: skip[0], end: skip[1], pos: skip[1], skip: true });   // never read: not progress
    for (const [a, b] of gaps) if (b > a) rest += b - a;
    sh.gaps = gaps.filter(([a, b]) => b > a);
  }
  const part = Math.max(MIN_PART, Math.min(PART, Math.ceil(rest / Math.max(1, parallel))));
  for (const sh of shards)
    for (const [a, b] of sh.gaps)
      for (let s = a; s < b; s += sh.src.ranged ? part : b - a) {
        const seg = { start: s, end: sh.src.ranged ? Math.min(b, s + part) : b, pos: s };
        sh.segs.push(seg);
        tasks.push({ sh, seg });
      }
  for (const sh of shards) sh.segs.sort((x, y) => x.start - y.start);
  return tasks;
}

async function fetchBodies(shards, queue, img, pump, p, parallel, signal) {
  const running = new Set();
  let failure = null;
  const runOne = async (t) => {
    const ctl = new AbortController(), stop = () => ctl.abort();
    signal.addEventListener('abort', stop, { once: true });
    t.ctl = ctl;
    try {
      // the first range of a file continues its first response when that is where it stands
      const head = t.sh.head && t.sh.head.at === t.seg.pos ? t.sh.head : null;
      const minEnd = Math.min(t.seg.end, t.sh.layout.fileSize);
      if (head) { t.sh.head = null; head.lim.end = t.seg.end; head.lim.minEnd = minEnd; }
      for await (const chunk of head ? head.it : t.sh.src.range(t.seg.pos, t.seg.end, { minEnd, signal: ctl.signal })) {
        const wait = img.put(t.sh, t.seg.pos, chunk);
        t.seg.pos += chunk.length;
        p.tick();
        pump?.kick();
        if (wait) await wait;
        if (ctl.signal.aborted) throw abortError(ctl.signal);
      }
      if (t.seg.pos < t.seg.end) {   // a clean end past minEnd: only padding was missing
        await img.put(t.sh, t.seg.pos, new Uint8Array(t.seg.end - t.seg.pos));
        t.seg.pos = t.seg.end;
      }
    } catch (e) {
      if (e instanceof RangeRefused) return fallback(t);
      if (!ctl.signal.aborted || signal.aborted) failure ??= e;
      if (!signal.aborted && failure) abortAll();
    } finally { signal.removeEventListener('abort', stop); }
  };
  const abortAll = () => { for (const t of running) t.ctl?.abort(); queue.length = 0; };
  // One file ignores Range after all: stop its other ranges, read it as one stream from where it is whole.
  const fallback = async (t) => {
    const sh = t.sh;
    sh.src.file.ranged = false;
    for (let i = queue.length - 1; i >= 0; i--) if (queue[i].sh === sh) queue.splice(i, 1);
    const others = [...running].filter((r) => r.sh === sh && r !== t);
    others.forEach((r) => r.ctl.abort());
    await Promise.all(others.map((r) => r.done));
    const from = frontier(sh);
    sh.segs = [{ start: 0, end: from, pos: from }, { start: from, end: sh.end, pos: from }];
    await runOne({ sh, seg: sh.segs[1] });
  };
  const worker = async () => {
    for (let t; (t = queue.shift()) && !failure;) {
      running.add(t);
      t.done = runOne(t);
      await t.done;
      running.delete(t);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, queue.length)) }, worker));
  if (signal.aborted) throw abortError(signal);
  if (failure) throw failure;
  for (const sh of shards) if (frontier(sh) < sh.end) throw new LmError('TRUNCATED', `the source ended after ${frontier(sh)} of ${sh.end} bytes`);
}

/** File bytes [0, frontier) of a shard are all in place. */
function frontier(sh) {
  for (const s of sh.segs) if (s.pos < s.end) return s.pos;
  return sh.end;
}

// ---- the image: where each file byte goes, and reading it back ----

class Image {
  constructor(abi, shards, ext, writer) { Object.assign(this, { abi, shards, ext, writer }); }

  /** Places file bytes [off, off + bytes.length) of shard sh; returns a promise when the cache writer needs a pause. */
  put(sh, off, bytes) {
    const end = off + bytes.length;
    for (const pc of sh.pieces) {
      const a = Math.max(off, pc.fileOff), b = Math.min(end, pc.fileOff + pc.len);
      if (a < b) this.abi.write(pc.ptr + (a - pc.fileOff), bytes.subarray(a - off, b - off));
    }
    if (sh.ext && this.ext instanceof MemExt) {
      const a = Math.max(off, sh.ext.off), b = Math.min(end, sh.ext.end);
      if (a < b) this.ext.write(a - sh.ext.off, bytes.subarray(a - off, b - off));
    }
    return this.writer?.write(sh.base + off, bytes);
  }

  /** Up to len bytes from file offset off of shard sh, not crossing a piece or table boundary
   *  (a heap view, valid until the next wasm call, or a promise for the table's bytes). */
  read(sh, off, len) {
    if (sh.ext && off >= sh.ext.off && off < sh.ext.end) return this.ext.read(off - sh.ext.off, Math.min(len, sh.ext.end - off));
    const pc = sh.pieces.find((q) => off >= q.fileOff && off < q.fileOff + q.len);
    const n = Math.min(len, pc.fileOff + pc.len - off);
    return this.abi.view(pc.ptr + (off - pc.fileOff), n);
  }
}

// sha256 of every file, in file order, as its bytes become complete (read back from their place).
class Pump {
  constructor(img, shards, want, signal) { Object.assign(this, { img, shards, want, signal }); this.h = shards.map(() => new Sha256()); this.at = shards.map(() => 0); }
  kick() { if (!this.busy && !this.error) this.busy = this.#run().catch((e) => { this.error = e; }).finally(() => { this.busy = null; }); }
  async #run() {
    for (let k = 0; k < this.shards.length; k++) {
      const sh = this.shards[k];
      for (let end = frontier(sh); this.at[k] < end && !this.signal.aborted; end = frontier(sh)) {
        const r = this.img.read(sh, this.at[k], Math.min(STEP, end - this.at[k])), bytes = r instanceof Promise ? await r : r;
        this.h[k].update(bytes);
        this.at[k] += bytes.length;
        await new Promise((r) => setTimeout(r, 0));   // let the network and abort callbacks run
      }
      if (this.at[k] < sh.end) return;
    }
  }
  /** Hashes what is left, then compares; CORRUPT (or `stale` for a cached copy) on a mismatch. */
  async finish(signal, stale) {
    while (this.busy) await this.busy;
    this.kick();
    while (this.busy) await this.busy;
    if (this.error) throw this.error;
    throwIfAborted(signal);
    this.shards.forEach((sh, k) => {
      const got = this.h[k].hex();
      if (got === this.want[k]) return;
      const msg = `sha256 of ${this.shards.length > 1 ? `shard ${k + 1}` : 'the model file'} is ${got}, expected ${this.want[k]}`;
      throw stale ? new stale(msg) : new LmError('CORRUPT', msg);
    });
  }
}

// ---- progress: { phase, loaded, total } on every chunk (at most every 50 ms) and every 100 ms ----

class Progress {
  constructor(cb, phase) { this.cb = cb; this.phase = phase; this.loaded = 0; this.total = undefined; this.last = 0; this.shards = null;
    this.timer = cb ? setInterval(() => this.emit(true), HEARTBEAT_MS) : null; }
  header(n, size) { this.loaded += n; if (size !== undefined && this.total === undefined) this.total = size; this.emit(false); }
  start(shards) {
    this.shards = shards;
    this.total = 0;
    for (const sh of shards) for (const s of sh.segs) if (!s.skip) this.total += s.end - s.start;
    this.tick();
  }
  tick() {
    let n = 0;
    for (const sh of this.shards) for (const s of sh.segs) if (!s.skip) n += s.pos - s.start;
    this.loaded = Math.max(this.loaded, n);
    this.emit(false);
  }
  done() { if (this.shards) { this.loaded = this.total ?? this.loaded; this.emit(true); } }
  emit(force) {
    const now = Date.now();
    if (!this.cb || (!force && now - this.last < PROGRESS_MS)) return;
    this.last = now;
    this.cb({ phase: this.phase, loaded: this.loaded, total: this.total });
  }
  stop() { if (this.timer) clearInterval(this.timer); this.timer = null; }
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
