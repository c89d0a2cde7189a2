// @ts-check
// text-stream.js — token bytes → stable text. A UTF-8 character split across tokens is never
// emitted half-formed (TextDecoder in streaming mode), and text that could still be the start of
// a stop string is held back until it is known not to be one.

export class TextStream {
  #decoder = new TextDecoder('utf-8', { fatal: false });
  #held = '';
  /** @type {string[]} */ #stop;
  stopped = false;

  /** @param {string[]} stop strings that end generation (not included in the output) */
  constructor(stop = []) { this.#stop = stop; }

  /**
   * Adds one token's bytes. Returns the text that is now safe to show ('' if none). After a stop
   * string is seen, `stopped` is true and the text before it has been returned.
   * @param {Uint8Array} bytes
   */
  push(bytes) {
    if (this.stopped) return '';
    this.#held += this.#decoder.decode(bytes, { stream: true });
    return this.#release(false);
  }

  /** Flushes what is held at the end of generation (an incomplete character becomes U+FFFD). */
  finish() {
    if (this.stopped) return '';
    this.#held += this.#decoder.decode();
    return this.#release(true);
  }

  #release(final) {
    let cut = this.#held.length, hit = -1;
    for (const s of this.#stop) {
      const i = this.#held.indexOf(s);
      if (i >= 0 && (hit < 0 || i < hit)) hit = i;
    }
    if (hit >= 0) {
      const out = this.#held.slice(0, hit);
      this.#held = '';
      this.stopped = true;
      return out;
    }
    if (!final) cut = this.#held.length - this.#partialStopLength();
    const out = this.#held.slice(0, cut);
    this.#held = this.#held.slice(cut);
    return out;
  }

  // Length of the longest suffix of the held text that is a proper prefix of some stop string.
  #partialStopLength() {
    let best = 0;
    for (const s of this.#stop)
      for (let n = Math.min(s.length - 1, this.#held.length); n > best; n--)
        if (this.#held.endsWith(s.slice(0, n))) { best = n; break; }
    return best;
  }
}
