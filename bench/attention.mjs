// attention.mjs — long-context cost of attention over the KV cache: the built-in model (6 layers,
// n_embd 256, so attention is a large share) in Node's wasm build, one thread: prefill of a
// 960-token prompt and decode at ~960 tokens of context, best of 3. Usage: node bench/attention.mjs [--kv q8]
import { Engine } from '../web/engine.js';

const kvCache = process.argv.includes('--kv') ? process.argv[process.argv.indexOf('--kv') + 1] : 'f16';
const e = await Engine.create();
await e.load(new URL('../models/pocketlm-default.gguf', import.meta.url).pathname, { contextSize: 1024, kvCache });
const prompt = Array.from({ length: 960 }, (_, i) => 300 + (i * 37) % 3700);
let prefill = Infinity, decode = Infinity;
for (let r = 0; r < 3; r++) {
  for await (const _ of e.generateTokens(prompt, { temperature: 0, maxTokens: 1 }));
  prefill = Math.min(prefill, e.stats.prefillMs);
  for await (const _ of e.generateTokens([...prompt, 5], { temperature: 0, maxTokens: 33 }));
  decode = Math.min(decode, e.stats.decodeMs / Math.max(1, e.stats.generatedTokens));
}
console.log(`kv ${kvCache}: prefill 960 tokens ${prefill.toFixed(0)} ms (${(960000 / prefill).toFixed(0)} tok/s); decode at ~960 tokens ${decode.toFixed(2)} ms/token`);
e.dispose();
