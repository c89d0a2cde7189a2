// ref-worker.mjs — runs llama.cpp teacher-forced logits in its own process (so a different set
// of llama.cpp binaries can be used) and writes them as f32 LE [n_tokens][n_vocab].
// Usage: node ref-worker.mjs MODEL.gguf 2,17,33 N_VOCAB OUT.bin
import { writeFileSync } from 'node:fs';
import { openModel, teacherForced, closeModel } from './llama-ref.mjs';

const [model, list, nVocab, out] = process.argv.slice(2);
const toks = list.split(',').map(Number);
const h = await openModel(model, toks.length + 8, Number(nVocab));
const rows = await teacherForced(h, toks);
const buf = new Float32Array(toks.length * Number(nVocab));
rows.forEach((r, i) => buf.set(r, i * Number(nVocab)));
writeFileSync(out, Buffer.from(buf.buffer));
await closeModel(h);
