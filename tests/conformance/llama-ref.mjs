// llama-ref.mjs — llama.cpp (via node-llama-cpp's prebuilt CPU binaries) as the reference engine:
// teacher-forced full-vocabulary logits and greedy continuations for a GGUF. No downloads.
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';

let llamaPromise;
function llama() {
  llamaPromise ??= getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, skipDownload: true,
                              logLevel: LlamaLogLevel.error });
  return llamaPromise;
}

// Opens a model with a 1-thread, non-flash-attention context (the path pocketlm mirrors:
// F16 KV cache, f16-rounded Q and softmax weights in the attention products).
export async function openModel(path, contextSize, nVocab) {
  const l = await llama();
  const model = await l.loadModel({ modelPath: path, gpuLayers: 0 });
  const context = await model.createContext({ contextSize, batchSize: contextSize, threads: 1, flashAttention: false });
  return { model, context, sequence: context.getSequence(), nVocab };
}

export async function closeModel(h) {
  await h.context.dispose();
  await h.model.dispose();
}

// logits[i] (Float32Array of nVocab) = next-token logits after tokens[0..i].
export async function teacherForced(h, tokens) {
  await h.sequence.clearHistory();
  const items = tokens.map((t) => [t, { generateNext: { logits: true } }]);
  const out = await h.sequence.controlledEvaluate(items);
  return out.map((r) => {
    const row = new Float32Array(h.nVocab);
    for (const [tok, v] of r.next.logits) row[tok] = v;
    return row;
  });
}

// Greedy continuation of n tokens (argmax of raw logits each step, lowest id on ties).
export async function greedy(h, prompt, n) {
  await h.sequence.clearHistory();
  const out = [];
  let items = prompt.map((t, i) => (i === prompt.length - 1 ? [t, { generateNext: { logits: true } }] : t));
  for (let k = 0; k < n; k++) {
    const res = await h.sequence.controlledEvaluate(items);
    const next = argmaxMap(res[res.length - 1].next.logits);
    out.push(next);
    items = [[next, { generateNext: { logits: true } }]];
  }
  return out;
}

function argmaxMap(m) {
  let best = -1, bv = -Infinity;
  for (const [t, v] of m) if (v > bv || (v === bv && t < best)) { bv = v; best = t; }
  return best;
}
