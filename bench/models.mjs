// models.mjs — which models the speed benchmark runs, and making them: synthetic models from
// `build/pocketlm gen` (real shapes, fewer layers where stated; per-layer rates are what matter)
// and stories260K, a real model, when ../shared/data has it. Generated files go to build/bench/models.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = new URL('..', import.meta.url).pathname;
const CLI = join(ROOT, 'build', 'pocketlm');
const DIR = join(ROOT, 'build', 'bench', 'models');

// text: which filler the prompt builder uses (bench/native.mjs); full/quick: the types per mode.
// File sizes (Q4_0 / Q8_0 / F16): E2B-L5 0.53 / 0.97 / 1.83 GB, E2B-L10 0.86 GB (Q4_0),
// Gemma3-1B-L6 0.26 / 0.50 / 0.93 GB; F16 at 10 E2B layers (3.1 GB) would not fit wasm32 beside
// its KV cache, and wllama reads at most 2 GB per file.
export const MODELS = [
  { id: 'gemma4-e2b-L5', preset: 'gemma4-e2b', layers: 5, text: 'letters',
    label: 'Gemma 4 E2B shape, 5 of 35 layers (n_embd 1536, vocab 262144, PLE 256, ff 6144, 1 full-attention layer)',
    quick: ['q4_0'], full: ['q4_0', 'q8_0', 'f16'], threads2: ['q4_0'] },
  { id: 'gemma4-e2b-L5-mobile', preset: 'gemma4-e2b', layers: 5, text: 'letters', mobileFrom: 'q8_0',
    label: 'the same Gemma 4 E2B shape (5 of 35 layers) in GGUF-M: `pocketlm quantize --mobile` of its Q8_0 file (E2B recipe: 2-bit embedding/LM head, static activation scales)',
    quick: [], full: [] },   // bench/run.mjs builds prompts with llama.cpp, which cannot read GGUF-M: bench/browser-pair.mjs
  { id: 'gemma4-e2b-L10', preset: 'gemma4-e2b', layers: 10, text: 'letters',
    label: 'Gemma 4 E2B shape, 10 of 35 layers (5 own-KV ff 6144 + 5 KV-sharing ff 12288, 2 full-attention)',
    quick: [], full: ['q4_0'] },
  { id: 'gemma3-1b-L6', preset: 'gemma3-1b', layers: 6, text: 'letters',
    label: 'Gemma 3 1B shape, 6 of 26 layers (n_embd 1152, vocab 262144, ff 6912, 1 global layer)',
    quick: ['q4_0'], full: ['q4_0', 'q8_0', 'f16'] },
  { id: 'stories260K', file: join(ROOT, '..', 'shared', 'data', 'stories260K.gguf'), text: 'english',
    label: 'stories260K (real weights; F32 as published: ff 172 is not a multiple of 32, so no Q4_0/Q8_0)',
    quick: ['f32'], full: ['f32'] },
];

/**
 * The (model, type) runs of a mode, with file paths. `only` filters by model id and type.
 * @returns {{ id: string, type: string, label: string, text: string, file: string, layers?: number,
 *             preset?: string, threads2: boolean }[]}
 */
export function plan(mode, { models, types } = {}) {
  const out = [];
  for (const m of MODELS) {
    if (models && !models.includes(m.id)) continue;
    for (const type of m[mode]) {
      if (types && !types.includes(type)) continue;
      const file = m.file ?? join(DIR, `${m.id}-${type}.gguf`);
      out.push({ id: m.id, type, label: m.label, text: m.text, file, layers: m.layers, preset: m.preset, mobileFrom: m.mobileFrom,
                 threads2: (m.threads2 ?? []).includes(type) });
    }
  }
  return out;
}

/** The run of one (model id, type), listed in a mode or not; null for an unknown id. */
export function runOf(id, type) {
  const m = MODELS.find((x) => x.id === id);
  if (!m) return null;
  const file = m.file ?? join(DIR, `${m.id}-${type}.gguf`);
  return { id: m.id, type, label: m.label, text: m.text, file, layers: m.layers, preset: m.preset, mobileFrom: m.mobileFrom, threads2: false };
}

/** Model arguments to files: paths as given, ID:TYPE through runOf (generated when missing). */
export function modelFiles(list) {
  return list.map((a) => {
    const [id, type] = a.split(':'), r = type && runOf(id, type);
    if (!r) return a;
    ensureModels([r]);
    return r.file;
  });
}

/** Generates the missing synthetic files (or all of them with regen); skips absent real ones. */
export function ensureModels(runs, { regen = false, log = console.log } = {}) {
  mkdirSync(DIR, { recursive: true });
  return runs.filter((r) => {
    if (!r.preset) {
      if (!existsSync(r.file)) log(`skip ${r.id}: ${r.file} is absent`);
      return existsSync(r.file);
    }
    if (existsSync(r.file) && !regen) return true;
    const type = r.mobileFrom ?? r.type;
    log(`gen ${r.preset} --layers ${r.layers} --type ${type} -> ${r.file}`);
    const tmp = r.file + '.tmp';
    execFileSync(CLI, ['gen', '--model', r.preset, '--type', type, '--layers', String(r.layers), '--seed', '1', '-o', tmp], { stdio: 'inherit' });
    if (r.mobileFrom) mobile(tmp, log);
    renameSync(tmp, r.file);
    return true;
  });
}

// GGUF-M from a generated file, in place: `pocketlm quantize --mobile` with static activation
// scales calibrated on 64 fixed token ids.
function mobile(file, log) {
  const calib = file + '.calib.txt', out = file + '.m';
  writeFileSync(calib, Array.from({ length: 64 }, (_, i) => 260 + (i * 7919) % 4000).join(' '));
  log(`quantize --mobile ${file} (calibrated on 64 tokens)`);
  execFileSync(CLI, ['quantize', '--mobile', file, out, '--calib-tokens', calib], { stdio: 'inherit' });
  rmSync(calib);
  renameSync(out, file);
}
