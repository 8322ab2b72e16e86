// Writes the seed corpora of the fuzz harnesses into <out>/<harness>/ from files the package
// ships or its tests generate, so nothing binary is committed: the shipped models and fixtures,
// small models of other sizes built as test/helpers/reference-model.ts builds them, policy files
// as test/helpers/policy.ts writes them, and as JSON seeds every one of their headers plus
// examples/*.json. Usage: node fuzz/seeds/make-seeds.mjs <out>
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.resolve(process.argv[2] ?? path.join(root, 'fuzz/build/seeds'));
const dirs = { model: path.join(out, 'model_loader'), json: path.join(out, 'json_reader'), policy: path.join(out, 'policy_loader') };
for (const d of Object.values(dirs)) {
  fs.rmSync(d, { recursive: true, force: true });
  fs.mkdirSync(d, { recursive: true });
}

// Named by content, as libFuzzer names corpus files, so equal seeds collapse into one.
function put(dir, bytes) {
  fs.writeFileSync(path.join(dir, crypto.createHash('sha1').update(bytes).digest('hex')), bytes);
}

function headerOf(bytes) {
  const len = Number(Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigUInt64LE(0));
  return bytes.subarray(8, 8 + len);
}

function safetensors(metadata, tensors) {
  const header = { __metadata__: metadata };
  const chunks = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    chunks.push(t.data);
    offset += t.data.length;
  }
  const text = Buffer.from(JSON.stringify(header), 'utf8');
  const bytes = new Uint8Array(8 + text.length + offset);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(text.length), true);
  bytes.set(text, 8);
  let at = 8 + text.length;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

const f32 = (values, shape) => ({ dtype: 'F32', shape, data: new Uint8Array(new Float32Array(values).buffer) });
const f64 = (values, shape) => ({ dtype: 'F64', shape, data: new Uint8Array(new Float64Array(new Float32Array(values)).buffer) });

// The reference graph (fixtures/gnn/README.md): bid_i <-> ask_i, j <-> j + 2.
function levelEdges(levels) {
  const e = [];
  for (let i = 0; i < levels; i++) e.push([2 * i, 2 * i + 1], [2 * i + 1, 2 * i]);
  for (let j = 0; j < 2 * levels - 2; j++) e.push([j, j + 2], [j + 2, j]);
  return e;
}

function model({ levels, hidden, heads, attention, seed, edges = levelEdges(levels) }) {
  const rnd = mulberry32(seed);
  const E = hidden / 2;
  const shapes = [
    ['conv1.lin_l.weight', [hidden, 8]], ['conv1.lin_l.bias', [hidden]], ['conv1.lin_r.weight', [hidden, 8]],
    ['conv2.lin_l.weight', [hidden, hidden]], ['conv2.lin_l.bias', [hidden]], ['conv2.lin_r.weight', [hidden, hidden]],
    ['conv3.lin_l.weight', [E, hidden]], ['conv3.lin_l.bias', [E]], ['conv3.lin_r.weight', [E, hidden]],
    ['attention.in_proj_weight', [3 * E, E]], ['attention.in_proj_bias', [3 * E]],
    ['attention.out_proj.weight', [E, E]], ['attention.out_proj.bias', [E]],
    ['norm.weight', [E]], ['norm.bias', [E]],
    ['direction_head.weight', [3, E]], ['direction_head.bias', [3]],
    ['magnitude_head.weight', [1, E]], ['magnitude_head.bias', [1]],
    ['volatility_head.weight', [1, E]], ['volatility_head.bias', [1]],
  ];
  const tensors = new Map();
  for (const [name, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    tensors.set(name, f32(Array.from({ length: n }, () => rnd()), shape));
  }
  const ei = new BigInt64Array(2 * edges.length);
  edges.forEach(([s, d], k) => {
    ei[k] = BigInt(s);
    ei[edges.length + k] = BigInt(d);
  });
  tensors.set('edge_index', { dtype: 'I64', shape: [2, edges.length], data: new Uint8Array(ei.buffer) });
  const metadata = {
    format: 'orderbook-gnn', version: '1', node_features: '8', hidden: String(hidden), heads: String(heads),
    levels: String(levels), attention, classes: 'down,flat,up',
  };
  return safetensors(metadata, tensors);
}

function policy({ hidden = [64, 64], seed = 1, dtype = 'F32', metadata = {}, scale = 0.5 }) {
  const rnd = mulberry32(seed);
  const widths = [3, ...hidden, 2];
  const tensors = new Map();
  const make = dtype === 'F64' ? f64 : f32;
  for (let l = 0; l + 1 < widths.length; l++) {
    tensors.set(`layers.${l}.weight`, make(Array.from({ length: widths[l + 1] * widths[l] }, () => rnd() * scale), [widths[l + 1], widths[l]]));
    tensors.set(`layers.${l}.bias`, make(Array.from({ length: widths[l + 1] }, () => rnd() * 0.1), [widths[l + 1]]));
  }
  return safetensors({
    input_mean: '[0, 2, 0]', input_std: '[5, 2, 10]', output_activation: 'tanh', output_scale: '[2, 2]', output_offset: '[2, 2]',
    ...metadata,
  }, tensors);
}

const models = [];
for (const rel of ['models', 'test/fixtures']) {
  const dir = path.join(root, rel);
  if (!fs.existsSync(dir)) continue;
  for (const f of fs.readdirSync(dir).sort()) {
    if (f.endsWith('.safetensors')) models.push(new Uint8Array(fs.readFileSync(path.join(dir, f))));
  }
}
let seed = 1;
for (const levels of [1, 2, 3]) {
  for (const [hidden, heads] of [[2, 1], [4, 1], [4, 2]]) {
    for (const attention of ['pooled', 'levels']) models.push(model({ levels, hidden, heads, attention, seed: seed++ }));
  }
}
// Graphs the loader must handle (or refuse) beyond the reference one: no edges, one edge,
// duplicates and self loops, targets out of order.
models.push(model({ levels: 2, hidden: 2, heads: 1, attention: 'pooled', seed: 90, edges: [] }));
models.push(model({ levels: 2, hidden: 2, heads: 1, attention: 'pooled', seed: 91, edges: [[3, 0]] }));
models.push(model({ levels: 2, hidden: 2, heads: 1, attention: 'levels', seed: 92, edges: [[0, 0], [1, 0], [1, 0], [3, 2], [2, 1], [0, 3]] }));
for (const m of models) put(dirs.model, m);

const policies = [
  policy({}),
  policy({ dtype: 'F64', seed: 2 }),
  policy({ hidden: [8], seed: 3, metadata: { output_activation: 'none' } }),
  policy({ hidden: [], seed: 4 }),
  policy({ hidden: [4, 4, 4, 4, 4, 4, 4], seed: 5 }),
  policy({ hidden: [2], seed: 6, metadata: { output_scale: '[1.5, -2]', output_offset: '[0.5, 1e-3]' } }),
];
// Only the required metadata.
{
  const p = policy({ hidden: [3], seed: 7 });
  const h = JSON.parse(Buffer.from(headerOf(p)).toString('utf8'));
  h.__metadata__ = { input_mean: '[0,0,0]', input_std: '[1,1,1]' };
  const tensors = new Map();
  const data = p.subarray(8 + headerOf(p).length);
  for (const [k, v] of Object.entries(h)) {
    if (k !== '__metadata__') tensors.set(k, { dtype: v.dtype, shape: v.shape, data: data.subarray(v.data_offsets[0], v.data_offsets[1]) });
  }
  policies.push(safetensors(h.__metadata__, tensors));
}
for (const p of policies) put(dirs.policy, p);

for (const f of [...models, ...policies]) put(dirs.json, headerOf(f));
for (const f of fs.readdirSync(path.join(root, 'examples')).sort()) {
  if (f.endsWith('.json')) put(dirs.json, fs.readFileSync(path.join(root, 'examples', f)));
}
for (const text of ['{}', '[]', '"\\u00e9\\ud83d\\ude00\\n\\"\\\\\\/"', '[-0, 0.5e-3, 1E+2, 123456789012345678, 1234567890123456789, -9223372036854775808]',
  '{"a":[true,false,null,{"b":[[[]]]}]}', '[0,1e999,-1e-999]']) {
  put(dirs.json, Buffer.from(text, 'utf8'));
}

const count = (d) => fs.readdirSync(d).length;
console.log(`seeds: ${count(dirs.model)} model_loader, ${count(dirs.json)} json_reader, ${count(dirs.policy)} policy_loader -> ${path.relative(root, out) || out}`);
