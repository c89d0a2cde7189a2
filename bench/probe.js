// probe.js — records every WebAssembly.Memory this realm creates or gets from an instance, so the
// bench can read the peak wasm memory (a wasm memory only grows, so its size at the end is its
// peak). Loaded as a classic script by bench/page.html and ahead of each engine's own code in the
// Workers the page starts (bench/page.js wraps them). performance.measureUserAgentSpecificMemory
// needs a headed, isolated page, so this is the headless substitute. Side effects only.
(() => {
  if (globalThis.__benchWasmBytes) return;
  const W = WebAssembly, OrigMemory = W.Memory, OrigInstance = W.Instance;
  const mems = new Set();
  const note = (r) => {
    const inst = r instanceof OrigInstance ? r : r?.instance;
    if (inst) for (const v of Object.values(inst.exports)) if (v instanceof OrigMemory) mems.add(v);
    return r;
  };
  W.Memory = new Proxy(OrigMemory, { construct(t, a, nt) { const m = Reflect.construct(t, a, nt); mems.add(m); return m; } });
  W.Instance = new Proxy(OrigInstance, { construct(t, a, nt) { return note(Reflect.construct(t, a, nt)); } });
  for (const k of ['instantiate', 'instantiateStreaming']) {
    const f = W[k];
    if (f) W[k] = function (...a) { return f.apply(this, a).then(note); };
  }
  // bytes of the largest memory seen (memory64 lengths are plain numbers too)
  globalThis.__benchWasmBytes = () => Math.max(0, ...[...mems].map((m) => Number(m.buffer.byteLength)));
})();
