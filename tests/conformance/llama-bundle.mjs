// llama-bundle.mjs — files from the llama.cpp source that node-llama-cpp ships as a git bundle
// (node_modules/node-llama-cpp/llama/gitRelease.bundle): the tokenizer-only GGUFs with their
// .inp/.out test vectors, the chat templates, and llama.cpp's chat-template test. Extracted once
// into build/llama-src/ (nothing is downloaded; nothing extracted is committed).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUNDLE = join(ROOT, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
const GIT_DIR = join(ROOT, 'build', 'llama-src.git');
export const LLAMA_SRC = join(ROOT, 'build', 'llama-src');

const WANTED = [/^models\/ggml-vocab-[^/]+$/, /^models\/templates\/[^/]+\.jinja$/, /^tests\/test-chat-template\.cpp$/];

function git(...args) {
  return execFileSync('git', ['--git-dir', GIT_DIR, ...args], { maxBuffer: 1 << 28 });
}

// Returns LLAMA_SRC after making sure the wanted files are there (re-extracting when the bundle
// changed).
export function llamaSource() {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm install`);
  if (!existsSync(GIT_DIR)) execFileSync('git', ['clone', '--quiet', '--bare', BUNDLE, GIT_DIR]);
  const head = git('rev-parse', 'HEAD').toString().trim();
  const stamp = join(LLAMA_SRC, '.extracted');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === head) return LLAMA_SRC;
  const files = git('ls-tree', '-r', '--name-only', 'HEAD', 'models', 'tests').toString().split('\n')
    .filter((f) => WANTED.some((re) => re.test(f)));
  for (const f of files) {
    const out = join(LLAMA_SRC, f);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, git('show', `HEAD:${f}`));
  }
  writeFileSync(stamp, head);
  return LLAMA_SRC;
}

// The .inp/.out vectors of a vocab file as llama.cpp's test-tokenizer-0 reads them:
// inputs separated by "\n__ggml_vocab_test__\n", one line of ids per input.
export function readVectors(gguf) {
  const raw = readFileSync(gguf + '.inp', 'utf8');
  const inputs = [];
  const sep = '\n__ggml_vocab_test__\n';
  for (let pos = 0; pos < raw.length;) {
    const next = raw.indexOf(sep, pos);
    if (next < 0) { inputs.push(raw.slice(pos)); break; }
    inputs.push(raw.slice(pos, next));
    pos = next + sep.length;
  }
  const lines = readFileSync(gguf + '.out', 'utf8').split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== inputs.length) throw new Error(`${gguf}: ${inputs.length} inputs, ${lines.length} outputs`);
  return inputs.map((text, i) => ({ text, ids: lines[i].trim() ? lines[i].trim().split(' ').map(Number) : [] }));
}

// A chat template from llama.cpp's tests/test-chat-template.cpp, by its test-case name.
export function testTemplate(name) {
  const src = readFileSync(join(LLAMA_SRC, 'tests', 'test-chat-template.cpp'), 'utf8');
  const at = src.indexOf(`/* .name= */ ${JSON.stringify(name)},`);
  if (at < 0) throw new Error(`template '${name}' not found`);
  const m = /\/\* \.template_str= \*\/ "((?:[^"\\]|\\.)*)"/.exec(src.slice(at));
  return JSON.parse(`"${m[1]}"`);   // C escapes used there (\n, \", \\) read the same in JSON
}
