// variant.mjs — llama.cpp's SSE4.2 CPU variant as a second reference. node-llama-cpp picks the
// best CPU build at run time (zen4 here); a private copy of its binaries holding only
// libggml-cpu-sse42.so forces the 128-bit baseline. Comparing llama.cpp's two builds with each
// other measures how far llama.cpp agrees with itself: the noise floor of any comparison.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const DIR = join(ROOT, 'build', 'llama-sse42');

function ensureCopy() {
  const marker = join(DIR, 'ready');
  if (existsSync(marker)) return;
  rmSync(DIR, { recursive: true, force: true });
  const nm = join(DIR, 'node_modules'), src = join(ROOT, 'node_modules');
  mkdirSync(join(nm, '@node-llama-cpp'), { recursive: true });
  for (const e of readdirSync(src)) {
    if (e === 'node-llama-cpp' || e === '@node-llama-cpp' || e.startsWith('.')) continue;
    symlinkSync(join(src, e), join(nm, e));
  }
  cpSync(join(src, 'node-llama-cpp'), join(nm, 'node-llama-cpp'), { recursive: true });
  cpSync(join(src, '@node-llama-cpp', 'linux-x64'), join(nm, '@node-llama-cpp', 'linux-x64'), {
    recursive: true,
    filter: (p) => !/libggml-cpu-(?!sse42)[^/]*\.so$/.test(p),
  });
  for (const f of ['llama-ref.mjs', 'ref-worker.mjs']) cpSync(join(HERE, f), join(DIR, f));
  cpSync(join(HERE, 'ref-worker.mjs'), marker);
}

// Teacher-forced logits from the SSE4.2 build: array of Float32Array rows.
export function sse42Logits(model, toks, nVocab) {
  ensureCopy();
  const out = join(DIR, 'logits.bin');
  execFileSync(process.execPath, [join(DIR, 'ref-worker.mjs'), model, toks.join(','), String(nVocab), out]);
  const b = readFileSync(out);
  const all = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
  return toks.map((_, i) => all.subarray(i * nVocab, (i + 1) * nVocab));
}
