// textgen.mjs — deterministic test strings for the tokenizer differential test: many scripts,
// emoji with ZWJ and modifiers, combining marks, whitespace runs, tabs, CR/LF, digits in several
// scripts, code, URLs, special-token look-alikes, control characters and very long words.
// Code points come from blocks fully assigned in Unicode 14 (the version of our tables), so a
// difference is a tokenizer difference, not a Unicode-version one.

function rng(seed) {            // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SCRIPTS = {
  latin: [[0x61, 0x7a], [0x41, 0x5a], [0xe0, 0xff], [0x100, 0x17f]],
  greek: [[0x3b1, 0x3c9], [0x391, 0x3a9]],
  cyrillic: [[0x430, 0x44f], [0x410, 0x42f]],
  armenian: [[0x561, 0x586]],
  hebrew: [[0x5d0, 0x5ea]],
  arabic: [[0x627, 0x64a]],
  devanagari: [[0x905, 0x939], [0x93e, 0x94d]],
  bengali: [[0x985, 0x9b9]],
  tamil: [[0xb85, 0xbb9]],
  thai: [[0xe01, 0xe2e], [0xe30, 0xe3a]],
  georgian: [[0x10d0, 0x10fa]],
  ethiopic: [[0x1200, 0x1248]],
  hangul: [[0xac00, 0xd7a3]],
  hiragana: [[0x3041, 0x3096]],
  katakana: [[0x30a1, 0x30fa]],
  cjk: [[0x4e00, 0x9fa5]],
  khmer: [[0x1780, 0x17b3]],
  math: [[0x2200, 0x22ff]],
  arrows: [[0x2190, 0x21ff]],
  box: [[0x2500, 0x257f]],
};
const SCRIPT_NAMES = Object.keys(SCRIPTS);
const WORDS = ['the', 'of', 'and', 'Hello', 'world', 'tokenizer', 'don\'t', 'I\'LL', 'it\'s', 'we\'re', 'they\'VE',
  'O\'Neil', 'rock\'n\'roll', 'naïve', 'café', 'Straße', 'Ünïcödé', 'Äpfel', 'ﬁnance', 'Œuvre', 'İstanbul', 'ǅemal'];
const SPACES = [' ', '  ', '   ', '\t', '\t\t', '\n', '\n\n', '\n\n\n', '\r\n', '\r', ' \n', '\n ', '\u00a0', '\u3000',
  '\u2009', '\u2028', '\u200b', '\u0085', ' \t \n', '\v', '\f'];
const EMOJI = ['😀', '🦙', '👍', '👍🏽', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇯🇵', '🇺🇸', '1️⃣', '❤️', '🧑🏿‍🚀', '👩‍💻', '🐈‍⬛', '☕', '✨', '🫠'];
const CODE = ['for (int i = 0; i < n; i++) {', '    return x->y;', 'def f(a, b=2, *args):', '  "key": [1, 2.5e-3, null],',
  '<div class="a">&amp;</div>', 'SELECT * FROM t WHERE id=42;', 'x = re.sub(r"\\s+", " ", s)', '#include <stdio.h>',
  'const f = async () => await g?.h ?? 0;', '    if (a != b && c <= d) { /* ok */ }', '$ ls -la ~/.config | grep "*.json"',
  'fn main() -> Result<(), Box<dyn Error>> {', '\tmov eax, [ebp+8]', '---\n+++ b/x.c\n@@ -1,3 +1,4 @@', 'λx.x  ⊢  Γ'];
const URLS = ['https://example.com/path?q=1&r=two#frag', 'http://192.168.0.1:8080/', 'mailto:someone@example.org',
  'ftp://files.example.net/pub/file-1.2.3.tar.gz', 'www.wikipedia.org/wiki/Tokenization_(lexical_analysis)',
  'user.name+tag@sub.domain.co.uk', 'C:\\Users\\Public\\file.txt', '/usr/local/lib/libfoo.so.1'];
const DIGITS = ['0123456789', '٠١٢٣٤٥٦٧٨٩', '०१२३४५६७८९', '０１２３４５６７８９', '²³¹', '½¼¾', 'Ⅻ', '①②③'];
const COMBINING = [[0x300, 0x36f], [0x1ab0, 0x1abe], [0x20d0, 0x20dc]];
const CONTROL = ['\u0000', '\u0001', '\u001b', '\u007f', '\ufeff', '\u202e', '\ue000', '\u00ad', '\u2060', '\ufffd'];

function pick(r, a) { return a[Math.floor(r() * a.length)]; }
function int(r, lo, hi) { return lo + Math.floor(r() * (hi - lo + 1)); }
function chr(r, ranges) { const [a, b] = pick(r, ranges); return String.fromCodePoint(int(r, a, b)); }

function word(r, script) {
  let s = '';
  const n = int(r, 1, 9);
  for (let i = 0; i < n; i++) s += chr(r, SCRIPTS[script]);
  return s;
}

function combining(r) {
  let s = chr(r, SCRIPTS[pick(r, ['latin', 'greek', 'cyrillic'])]);
  for (let k = int(r, 1, 4); k > 0; k--) s += chr(r, COMBINING);
  return s;
}

function number(r) {
  const n = int(r, 1, 14);
  let s = '';
  const set = r() < 0.7 ? '0123456789' : pick(r, DIGITS);
  for (let i = 0; i < n; i++) s += [...set][int(r, 0, [...set].length - 1)];
  return r() < 0.3 ? s + pick(r, ['.', ',', '%', 'e-5', 'px', '$', '€']) + int(r, 0, 999) : s;
}

function longWord(r) {
  const n = int(r, 60, 2500);
  const kind = int(r, 0, 5);
  if (kind === 0) return 'a'.repeat(n);
  if (kind === 1) return 'ab'.repeat(n >> 1);
  if (kind === 2) { let s = ''; for (let i = 0; i < n; i++) s += chr(r, SCRIPTS.latin); return s; }
  if (kind === 3) { let s = ''; for (let i = 0; i < n >> 2; i++) s += chr(r, SCRIPTS.cjk); return s; }
  if (kind === 4) return '1234567890'.repeat(n / 10 | 0);
  let s = '';
  const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < n; i++) s += b64[int(r, 0, 63)];
  return s;
}

// Text that spells or nearly spells the vocabulary's special tokens.
function lookAlike(r, specials) {
  const t = specials.length ? pick(r, specials) : '<s>';
  const v = int(r, 0, 7);
  if (v === 0) return t;
  if (v === 1) return t + t;
  if (v === 2) return ' ' + t + ' ';
  if (v === 3) return t.slice(0, Math.max(1, t.length - 1));
  if (v === 4) return t.slice(1);
  if (v === 5) return t.replace(/[a-z]/, (c) => c.toUpperCase());
  if (v === 6) return `<0x${int(r, 0, 255).toString(16).toUpperCase().padStart(2, '0')}>`;
  return pick(r, ['<', '>', '<|', '|>', '</', '[', ']', '<<', '>>', '<unused12>', '▁', '▁▁', 'Ġ', 'Ċ']);
}

const PIECES = [
  (r) => WORDS.slice(0, int(r, 1, 6)).map(() => pick(r, WORDS)).join(' '),
  (r) => { const sc = pick(r, SCRIPT_NAMES); return Array.from({ length: int(r, 1, 5) }, () => word(r, sc)).join(' '); },
  (r) => pick(r, SPACES).repeat(int(r, 1, 4)),
  (r) => pick(r, EMOJI) + (r() < 0.5 ? pick(r, EMOJI) : ''),
  (r) => combining(r),
  (r) => number(r),
  (r) => pick(r, CODE),
  (r) => pick(r, URLS),
  (r) => pick(r, CONTROL),
  (r) => pick(r, ['.', ',', '!', '?', ';', ':', '...', '—', '–', '"', '\'', '«»', '¿', '¡', '(', ')', '[]', '{}', '@#$%^&*', '“”', '‘’', '、。', '！？']),
];

// count strings; `specials` are the vocabulary's special-token texts (for look-alikes).
export function generate(count, seed, specials = []) {
  const r = rng(seed);
  const out = ['', ' ', '  ', '\n', '\n\n\n', ' \n ', '\t', 'a', 'A', '0', '00', '000', '0000', '\r\n\r\n', '\u0000',
    'Hello world', ' Hello world', 'Hello, world!', "I'm here, you're there, it's 3.14", '🦙', '👨‍👩‍👧‍👦'];
  while (out.length < count) {
    const kind = r();
    let s;
    if (kind < 0.06) s = longWord(r);
    else if (kind < 0.16) s = lookAlike(r, specials) + (r() < 0.5 ? pick(r, PIECES)(r) : '');
    else {
      s = '';
      for (let k = int(r, 1, 7); k > 0; k--) s += pick(r, PIECES)(r) + (r() < 0.6 ? ' ' : '');
      if (r() < 0.2) s = ' ' + s;
      if (r() < 0.2) s += pick(r, SPACES);
    }
    out.push(s);
  }
  return out;
}
