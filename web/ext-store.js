// @ts-check
// ext-store.js — where a table left out of the wasm heap lives (gemma4's per_layer_token_embd,
// 1.2-1.9 GB for E2B; src/lm.h lm_ctx_ext_rows), and how the rows of a decode call's tokens are
// read from it: a File/Blob (a picked file, an OPFS cache entry, a Cache API body), a Node file,
// the caller's ArrayBuffer, or JS memory in chunks (no single ArrayBuffer near the 2 GB limits).
// Offsets are relative to the start of the table.

const CHUNK = 64 * 1024 * 1024;

/**
 * @typedef {object} ExtStore
 * @property {number} length bytes of the table
 * @property {string} kind 'blob' | 'file' | 'buffer' | 'memory'
 * @property {(off: number, len: number) => Uint8Array | Promise<Uint8Array>} read
 * @property {() => void} [close]
 */

/** Rows `tokens` (rowBytes each) handed to put(i, bytes) in order; async only where the store is. */
export function readRows(store, tokens, rowBytes, put) {
  const reads = tokens.map((t) => store.read(t * rowBytes, rowBytes));
  if (reads.some((r) => r instanceof Promise)) return Promise.all(reads).then((rows) => rows.forEach((r, i) => put(i, r)));
  reads.forEach((r, i) => put(i, /** @type {Uint8Array} */ (r)));
  return undefined;
}

/** A range of a Blob/File: nothing is read until a row is needed. */
export class BlobExt {
  kind = 'blob';
  /** @param {Blob} blob @param {number} base @param {number} length */
  constructor(blob, base, length) { this.blob = blob; this.base = base; this.length = length; }
  async read(off, len) { return new Uint8Array(await this.blob.slice(this.base + off, this.base + off + len).arrayBuffer()); }
}

/** A range of the caller's bytes (no copy). */
export class BufferExt {
  kind = 'buffer';
  /** @param {Uint8Array} bytes the table's bytes */
  constructor(bytes) { this.bytes = bytes; this.length = bytes.length; }
  read(off, len) { return this.bytes.subarray(off, off + len); }
}

/** A range of a file in Node, read with positioned reads on an fd the store owns. */
export class FileExt {
  kind = 'file';
  /** @param {any} fs node:fs @param {string} path @param {number} base @param {number} length */
  constructor(fs, path, base, length) { this.fs = fs; this.fd = fs.openSync(path, 'r'); this.base = base; this.length = length; }
  read(off, len) {
    const out = new Uint8Array(len);
    let n = 0;
    while (n < len) {
      const k = this.fs.readSync(this.fd, out, n, len - n, this.base + off + n);
      if (!k) throw new RangeError(`the model file ended inside the per-layer table (offset ${this.base + off + n})`);
      n += k;
    }
    return out;
  }
  close() { if (this.fd !== null) this.fs.closeSync(this.fd); this.fd = null; }
}

/** JS memory in 64 MiB chunks, filled as the download arrives. */
export class MemExt {
  kind = 'memory';
  /** @param {number} length */
  constructor(length) { this.length = length; this.chunks = Array.from({ length: Math.ceil(length / CHUNK) }, () => null); }
  #chunk(i) { return (this.chunks[i] ??= new Uint8Array(Math.min(CHUNK, this.length - i * CHUNK))); }
  /** @param {number} off @param {Uint8Array} bytes */
  write(off, bytes) {
    for (let done = 0; done < bytes.length;) {
      const at = off + done, i = Math.floor(at / CHUNK), o = at - i * CHUNK, n = Math.min(bytes.length - done, CHUNK - o);
      this.#chunk(i).set(bytes.subarray(done, done + n), o);
      done += n;
    }
  }
  read(off, len) {
    const i = Math.floor(off / CHUNK), o = off - i * CHUNK;
    if (o + len <= CHUNK) return this.#chunk(i).subarray(o, o + len);
    const out = new Uint8Array(len);
    for (let done = 0; done < len;) {
      const at = off + done, j = Math.floor(at / CHUNK), p = at - j * CHUNK, n = Math.min(len - done, CHUNK - p);
      out.set(this.#chunk(j).subarray(p, p + n), done);
      done += n;
    }
    return out;
  }
}
