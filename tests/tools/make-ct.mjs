// make-ct.mjs — writes a synthetic Gemma 4 checkpoint in Google's compressed-tensors "qat-mobile"
// layout (docs/FORMAT.md §5), tiny dims, every tensor kind, for the convert-ct tests. Node, no deps.
//
//   node tests/tools/make-ct.mjs OUT_DIR [--bad KIND] [--seed N]
//
// Writes OUT_DIR/config.json (text_config + quantization_config), three safetensors shards with
// model.safetensors.index.json, and expected.bin: the signed codes and f32 scales every GGUF-M
// tensor must hold, written independently of the converter (format below). --bad writes one
// deliberately broken variant (see BAD) for the error tests.
//
// expected.bin records: u32 name length, name, u32 kind, then
//   kind 0 (quantized weight): u32 rows, cols, groups; i8 codes[rows*cols]; f32 scales[rows*groups]
//   kind 1 (activation scale): f32 value
//   kind 2 (float tensor):     u32 n; f32 values[n]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const out = args[0];
const bad = args.includes('--bad') ? args[args.indexOf('--bad') + 1] : null;
const seed = args.includes('--seed') ? Number(args[args.indexOf('--seed') + 1]) : 1;
const BAD = ['missing-scale', 'scale-len', 'nan-scale', 'group-scale', 'bits-mismatch', 'code-range', 'zero-point',
             'missing-shard', 'index-wrong', 'truncated', 'no-group'];
if (!out || (bad && !BAD.includes(bad))) {
  console.error(`usage: make-ct.mjs OUT_DIR [--bad ${BAD.join('|')}] [--seed N]`);
  process.exit(2);
}

// ---- dimensions: gemma4-e2b-tiny-like (KV sharing, double-wide MLPs, PLE) ----
const E = 256, L = 6, H = 4, HKV = 1, D = 64, DF = 128, FF = 512, V = 512, P = 64, SHARED = 3, SWA = 16;
const FULL = (il) => il % 3 === 2;                       // layers 2 and 5 are full attention
const KV_END = L - SHARED;
const ff = (il) => (il >= KV_END ? 2 * FF : FF);
const PRE = 'model.language_model.';

// ---- deterministic randomness (xorshift32) ----
let rs = (seed * 2654435761) >>> 0 || 1;
const rnd = () => { rs ^= rs << 13; rs >>>= 0; rs ^= rs >>> 17; rs ^= rs << 5; rs >>>= 0; return rs / 4294967296; };
const f32 = (x) => Math.fround(x);
function bf16(x) {                                       // round to nearest even, as bits
  const b = new DataView(new ArrayBuffer(4)); b.setFloat32(0, x);
  const u = b.getUint32(0); return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}
const bf16f = (h) => { const b = new DataView(new ArrayBuffer(4)); b.setUint32(0, h << 16); return b.getFloat32(0); };

// Codes: mostly small (tame weights, near-zero mean), every code value reachable.
function code(bits) {
  const lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1, r = rnd();
  if (r < 0.02) return lo;                               // the asymmetric extreme (-2, -8, -128)
  const span = bits === 2 ? 1 : bits === 4 ? 4 : 60;     // triangular in [-span, span]
  return Math.max(lo, Math.min(hi, Math.round((rnd() - rnd()) * span)));
}
const codeStd = { 2: 0.6, 4: 1.7, 8: 25 };

// ---- tensors ----
const tensors = [];          // { name, dtype, shape, bytes }
const expected = [];         // Buffers
const put = (name, dtype, shape, bytes) => tensors.push({ name, dtype, shape, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });

function expectWeight(gname, rows, cols, groups, codes, scales) {
  const nb = Buffer.from(gname), h = Buffer.alloc(4 + nb.length + 16);
  h.writeUInt32LE(nb.length, 0); nb.copy(h, 4);
  h.writeUInt32LE(0, 4 + nb.length); h.writeUInt32LE(rows, 8 + nb.length); h.writeUInt32LE(cols, 12 + nb.length); h.writeUInt32LE(groups, 16 + nb.length);
  expected.push(h, Buffer.from(codes.buffer), Buffer.from(new Float32Array(scales).buffer));
}
function expectScalar(gname, kind, values) {
  const nb = Buffer.from(gname), h = Buffer.alloc(8 + nb.length + (kind === 2 ? 4 : 0));
  h.writeUInt32LE(nb.length, 0); nb.copy(h, 4); h.writeUInt32LE(kind, 4 + nb.length);
  if (kind === 2) h.writeUInt32LE(values.length, 8 + nb.length);
  expected.push(h, Buffer.from(new Float32Array(values).buffer));
}

// Packs unsigned codes along each row into int32 words, element i at bit i*bits (compressed-tensors).
function pack(u, rows, cols, bits) {
  const per = 32 / bits, words = Math.ceil(cols / per), w = new Uint32Array(rows * words);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) w[r * words + Math.floor(c / per)] |= u[r * cols + c] << ((c % per) * bits);
  return { w: new Int32Array(w.buffer), words };
}

// One quantized Linear/Embedding: module (HF name), gname (GGUF base), [rows][cols], bits.
// opts: groups (scale columns), scaleDtype 'F32'|'BF16', fmt 'pack'|'int', inScale, outScale (numbers or null),
// scalarAct (0-d activation scales), zeroPoint.
function quantized(module, gname, rows, cols, bits, opts = {}) {
  const groups = opts.groups ?? 1, codes = new Int8Array(rows * cols), u = new Uint8Array(rows * cols);
  for (let i = 0; i < rows * cols; i++) { codes[i] = code(bits); u[i] = codes[i] + (1 << (bits - 1)); }
  const gain = opts.gain ?? 1, scales = [];
  for (let i = 0; i < rows * groups; i++) scales.push(f32(gain * (0.6 + 0.8 * rnd()) / (Math.sqrt(cols / groups) * codeStd[bits])));
  const m = PRE + module;
  if (opts.fmt === 'int') put(`${m}.weight`, 'I8', [rows, cols], codes);
  else {
    const { w, words } = pack(u, rows, cols, bits);
    put(`${m}.weight_packed`, 'I32', [rows, words], w);
    put(`${m}.weight_shape`, 'I64', [2], new BigInt64Array([BigInt(rows), BigInt(cols)]));
  }
  let stored = scales;
  if (opts.scaleDtype === 'BF16') {
    const h = new Uint16Array(scales.map(bf16)); stored = [...h].map(bf16f);
    put(`${m}.weight_scale`, 'BF16', [rows, groups], h);
  } else put(`${m}.weight_scale`, 'F32', [rows, groups], new Float32Array(scales));
  if (opts.zeroPoint) put(`${m}.weight_zero_point`, 'I8', [rows, 1], new Int8Array(rows));
  for (const [key, v] of [['input_scale', opts.inScale], ['output_scale', opts.outScale]]) {
    if (v == null) continue;
    put(`${m}.${key}`, 'F32', opts.scalarAct ? [] : [1], new Float32Array([v]));
    if (v !== 0) expectScalar(`${gname}.${key}`, 1, [f32(v)]);       // 0 = uncalibrated: dropped
  }
  expectWeight(`${gname}.weight`, rows, cols, groups, codes, stored);
}

// A float parameter (norm, layer scalar), stored as BF16 or F32.
function plain(name, gname, values, dtype = 'BF16') {
  const vals = values.map((v) => (dtype === 'BF16' ? bf16f(bf16(v)) : f32(v)));
  if (dtype === 'BF16') put(PRE + name, 'BF16', [values.length], new Uint16Array(values.map(bf16)));
  else put(PRE + name, 'F32', [values.length], new Float32Array(values));
  expectScalar(gname, 2, vals);
}
const around = (n, c, spread = 0.1) => Array.from({ length: n }, () => c + spread * (2 * rnd() - 1));

quantized('embed_tokens', 'token_embd', V, E, 2, { scaleDtype: 'BF16', gain: 0.05 * Math.sqrt(E) });
quantized('embed_tokens_per_layer', 'per_layer_token_embd', V, L * P, 4, { groups: L, gain: 0.05 * Math.sqrt(P) });
quantized('per_layer_model_projection', 'per_layer_model_proj', L * P, E, 8, { fmt: 'int', inScale: 0.05, outScale: 0.02, scalarAct: true });
plain('per_layer_projection_norm.weight', 'per_layer_proj_norm.weight', around(P, 1));
plain('norm.weight', 'output_norm.weight', around(E, 2), 'F32');
for (let il = 0; il < L; il++) {
  const b = `layers.${il}.`, g = `blk.${il}.`, Dl = FULL(il) ? DF : D, own = il < KV_END, w2 = il >= KV_END;
  const act = (i) => ({ inScale: 0.04 + 0.01 * i, outScale: i === 1 ? 0 : 0.05, scalarAct: il % 2 === 1 });
  plain(b + 'input_layernorm.weight', g + 'attn_norm.weight', around(E, 1));
  quantized(b + 'self_attn.q_proj', g + 'attn_q', H * Dl, E, 4, act(0));
  if (own) {
    quantized(b + 'self_attn.k_proj', g + 'attn_k', HKV * Dl, E, 4, { ...act(1), zeroPoint: il === 0 });
    quantized(b + 'self_attn.v_proj', g + 'attn_v', HKV * Dl, E, 4, act(2));
    plain(b + 'self_attn.k_norm.weight', g + 'attn_k_norm.weight', around(Dl, 0.35));
  }
  quantized(b + 'self_attn.o_proj', g + 'attn_output', E, H * Dl, 4, { ...act(3), gain: 0.3, scaleDtype: 'BF16' });
  plain(b + 'self_attn.q_norm.weight', g + 'attn_q_norm.weight', around(Dl, 0.35));
  plain(b + 'post_attention_layernorm.weight', g + 'post_attention_norm.weight', around(E, 1));
  plain(b + 'pre_feedforward_layernorm.weight', g + 'ffn_norm.weight', around(E, 1));
  quantized(b + 'mlp.gate_proj', g + 'ffn_gate', ff(il), E, w2 ? 2 : 4, act(4));
  quantized(b + 'mlp.up_proj', g + 'ffn_up', ff(il), E, w2 ? 2 : 4, act(5));
  quantized(b + 'mlp.down_proj', g + 'ffn_down', E, ff(il), w2 ? 2 : 4, { ...act(6), gain: 0.3 });
  plain(b + 'post_feedforward_layernorm.weight', g + 'post_ffw_norm.weight', around(E, 1));
  quantized(b + 'per_layer_input_gate', g + 'inp_gate', P, E, 8, { fmt: 'int', ...act(7) });
  quantized(b + 'per_layer_projection', g + 'proj', E, P, 8, { fmt: 'int', ...act(8), gain: 0.3 });
  plain(b + 'post_per_layer_input_norm.weight', g + 'post_norm.weight', around(E, 1));
  plain(b + 'layer_scalar', g + 'layer_output_scale.weight', [0.7 + 0.2 * rnd()], 'F32');
}
tensors.push({ name: 'model.vision_tower.patch.weight', dtype: 'BF16', shape: [4], bytes: Buffer.alloc(8) });   // not text: skipped

// ---- config.json ----
const chan = (bits) => ({ num_bits: bits, type: 'int', symmetric: true, strategy: 'channel', dynamic: false, group_size: null });
const act8 = { num_bits: 8, type: 'int', symmetric: true, strategy: 'tensor', dynamic: false };
const groups = {
  embed2: { targets: [PRE + 'embed_tokens'], weights: chan(2), format: 'pack-quantized' },
  mlp2: { targets: [`re:.*layers\\.(${[...Array(SHARED).keys()].map((i) => i + KV_END).join('|')})\\.mlp\\..*_proj$`],
          weights: chan(2), input_activations: act8, output_activations: act8, format: 'pack-quantized' },
  w4: { targets: ['Linear'], weights: chan(4), input_activations: act8, output_activations: act8, format: 'pack-quantized' },
  w8: { targets: ['re:.*per_layer_(input_gate|projection)$', PRE + 'per_layer_model_projection'],
        weights: chan(8), input_activations: act8, output_activations: act8, format: 'int-quantized' },
  ple4: { targets: [PRE + 'embed_tokens_per_layer'], weights: { ...chan(4), strategy: 'group', group_size: P }, format: 'pack-quantized' },
};
const config = {
  architectures: ['Gemma4ForConditionalGeneration'], model_type: 'gemma4', bos_token_id: 2, eos_token_id: 1,
  text_config: {
    model_type: 'gemma4_text', hidden_size: E, num_hidden_layers: L, num_attention_heads: H, num_key_value_heads: HKV,
    head_dim: D, global_head_dim: DF, intermediate_size: FF, use_double_wide_mlp: true, num_kv_shared_layers: SHARED,
    layer_types: [...Array(L).keys()].map((il) => (FULL(il) ? 'full_attention' : 'sliding_attention')),
    sliding_window: SWA, hidden_size_per_layer_input: P, vocab_size: V, vocab_size_per_layer_input: V,
    rms_norm_eps: 1e-6, max_position_embeddings: 512, final_logit_softcapping: 30.0, tie_word_embeddings: true,
    rope_parameters: { sliding_attention: { rope_type: 'default', rope_theta: 10000.0 },
                       full_attention: { rope_type: 'proportional', rope_theta: 1000000.0, partial_rotary_factor: 0.25 } },
  },
  quantization_config: { quant_method: 'compressed-tensors', format: 'mixed-precision', quantization_status: 'compressed',
                         ignore: ['lm_head', 're:.*vision_tower.*'], config_groups: groups },
};

// ---- the --bad variants: each breaks one thing the converter must name ----
const find = (n) => tensors.find((t) => t.name === PRE + n);
const q0 = 'layers.0.self_attn.q_proj.';
if (bad === 'missing-scale') tensors.splice(tensors.indexOf(find(q0 + 'weight_scale')), 1);
if (bad === 'scale-len') { const t = find(q0 + 'weight_scale'); t.shape = [t.shape[0] - 1, 1]; t.bytes = t.bytes.subarray(4); }
if (bad === 'nan-scale') find(q0 + 'weight_scale').bytes.writeFloatLE(NaN, 8);
if (bad === 'group-scale') { const t = find(q0 + 'weight_scale'); t.shape = [t.shape[0] / 2, 2]; }
if (bad === 'bits-mismatch') groups.w4.weights.num_bits = 2;
if (bad === 'code-range') groups.w8.weights.num_bits = 4;      // int8 codes far outside -8..7
if (bad === 'zero-point') find('layers.0.self_attn.k_proj.weight_zero_point').bytes[3] = 1;
if (bad === 'no-group') groups.w4.targets = ['Conv2d'];

// ---- shards + index ----
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'config.json'), JSON.stringify(config, null, 2));
const N_SHARDS = 3, files = [...Array(N_SHARDS).keys()].map((i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(N_SHARDS).padStart(5, '0')}.safetensors`);
const weightMap = {};
for (let s = 0; s < N_SHARDS; s++) {
  const mine = tensors.filter((_, i) => i % N_SHARDS === s), header = { __metadata__: { format: 'pt' } };
  let off = 0;
  for (const t of mine) { header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.bytes.length] }; off += t.bytes.length; weightMap[t.name] = files[s]; }
  let hj = Buffer.from(JSON.stringify(header));
  hj = Buffer.concat([hj, Buffer.alloc((8 - (hj.length % 8)) % 8, 0x20)]);   // pad the header with spaces to 8 bytes
  const len = Buffer.alloc(8); len.writeBigUInt64LE(BigInt(hj.length));
  let file = Buffer.concat([len, hj, ...mine.map((t) => t.bytes)]);
  if (bad === 'truncated' && s === 1) file = file.subarray(0, file.length - 10);
  if (!(bad === 'missing-shard' && s === 2)) writeFileSync(join(out, files[s]), file);
}
if (bad === 'index-wrong') weightMap[PRE + 'norm.weight'] = files[(files.indexOf(weightMap[PRE + 'norm.weight']) + 1) % N_SHARDS];
writeFileSync(join(out, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }, null, 1));
writeFileSync(join(out, 'expected.bin'), Buffer.concat(expected));
