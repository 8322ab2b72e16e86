/**
 * An independent float64 implementation of the order-book GNN, written from the reference that
 * made test/fixtures (../shared/tools/torch_reference.py), for tests: random models of any size,
 * and books of any depth.
 * Deliberately naive (dense loops, no folds) so it shares nothing with the native kernels.
 */
import { SafetensorsFile, f32 } from './safetensors';

export interface RefModel {
  levels: number;
  hidden: number;
  heads: number;
  attention: 'pooled' | 'levels';
  w: Map<string, { shape: number[]; values: Float64Array }>;
  edges: Array<[number, number]>;
}

/** Nodes interleaved bid0, ask0, ...; edges bid_i <-> ask_i and j <-> j + 2, both directions. */
export function levelEdges(levels: number): Array<[number, number]> {
  const e: Array<[number, number]> = [];
  for (let i = 0; i < levels; i++) e.push([2 * i, 2 * i + 1], [2 * i + 1, 2 * i]);
  for (let j = 0; j < 2 * levels - 2; j++) e.push([j, j + 2], [j + 2, j]);
  return e;
}

/** mulberry32: a small seeded generator, so every model, book and process is reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomModel(levels: number, hidden: number, heads: number, attention: 'pooled' | 'levels', seed: number): RefModel {
  const rnd = mulberry32(seed);
  const E = hidden / 2;
  const shapes: Array<[string, number[]]> = [
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
  const w = new Map<string, { shape: number[]; values: Float64Array }>();
  for (const [name, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length === 2 ? shape[1] : E;
    const scale = name.startsWith('norm.weight') ? 0 : 1 / Math.sqrt(fanIn);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const u = (rnd() * 2 - 1) * scale + (name === 'norm.weight' ? 1 : 0);
      values[i] = Math.fround(u); // exactly representable in the fp32 file
    }
    w.set(name, { shape, values });
  }
  return { levels, hidden, heads, attention, w, edges: levelEdges(levels) };
}

export function toSafetensors(m: RefModel): SafetensorsFile {
  const tensors = new Map();
  for (const [name, t] of m.w) tensors.set(name, f32(t.values, t.shape));
  const ei = new BigInt64Array(2 * m.edges.length);
  m.edges.forEach(([s, d], k) => {
    ei[k] = BigInt(s);
    ei[m.edges.length + k] = BigInt(d);
  });
  tensors.set('edge_index', { dtype: 'I64', shape: [2, m.edges.length], data: new Uint8Array(ei.buffer) });
  return {
    metadata: {
      format: 'orderbook-gnn', version: '1', node_features: '8', hidden: String(m.hidden), heads: String(m.heads),
      levels: String(m.levels), attention: m.attention, classes: 'down,flat,up',
    },
    tensors,
  };
}

/** The node features the reference (../shared/tools/torch_reference.py) builds, in float64. */
export function referenceFeatures(bids: number[][], asks: number[][], levels: number): number[][] {
  const L = Math.min(levels, bids.length, asks.length);
  const mid = (bids[0][0] + asks[0][0]) / 2;
  let bsum = 0;
  let asum = 0;
  for (let i = 0; i < L; i++) {
    bsum += bids[i][1];
    asum += asks[i][1];
  }
  bsum += 1e-8;
  asum += 1e-8;
  const nodes: number[][] = [];
  for (let i = 0; i < L; i++) {
    const [bp, bv] = bids[i];
    const [ap, av] = asks[i];
    nodes.push([1, Math.log1p(bv), (mid - bp) / mid, 0, i / L, 1 / (i + 1), bv / bsum, 0]);
    nodes.push([0, Math.log1p(av), (ap - mid) / mid, 0, i / L, 1 / (i + 1), av / asum, 0]);
  }
  return nodes;
}

function linear(m: RefModel, name: string, x: number[], bias = true): number[] {
  const W = m.w.get(`${name}.weight`) ?? m.w.get(name)!;
  const [out, inn] = W.shape;
  const b = bias ? m.w.get(`${name.replace(/\.weight$/, '')}.bias`) : undefined;
  const y: number[] = [];
  for (let o = 0; o < out; o++) {
    let s = b ? b.values[o] : 0;
    for (let k = 0; k < inn; k++) s += W.values[o * inn + k] * x[k];
    y.push(s);
  }
  return y;
}

function sage(m: RefModel, conv: string, x: number[][], relu: boolean): number[][] {
  const n = x.length;
  const inDim = x[0].length;
  return x.map((xi, i) => {
    const nbrs = m.edges.filter(([s, d]) => d === i && s < n).map(([s]) => s);
    const agg = new Array(inDim).fill(0);
    for (const j of nbrs) for (let k = 0; k < inDim; k++) agg[k] += x[j][k] / nbrs.length;
    const l = linear(m, `${conv}.lin_l`, agg);
    const r = linear(m, `${conv}.lin_r`, xi, false);
    return l.map((v, o) => (relu ? Math.max(0, v + r[o]) : v + r[o]));
  });
}

function mha(m: RefModel, seq: number[][]): number[][] {
  const E = m.hidden / 2;
  const d = E / m.heads;
  const Win = m.w.get('attention.in_proj_weight')!.values;
  const bin = m.w.get('attention.in_proj_bias')!.values;
  const proj = (x: number[], block: number) => {
    const y: number[] = [];
    for (let o = 0; o < E; o++) {
      let s = bin[block * E + o];
      for (let k = 0; k < E; k++) s += Win[(block * E + o) * E + k] * x[k];
      y.push(s);
    }
    return y;
  };
  const q = seq.map((x) => proj(x, 0));
  const k = seq.map((x) => proj(x, 1));
  const v = seq.map((x) => proj(x, 2));
  return seq.map((_, i) => {
    const concat = new Array(E).fill(0);
    for (let h = 0; h < m.heads; h++) {
      const scores = seq.map((__, j) => {
        let s = 0;
        for (let c = 0; c < d; c++) s += q[i][h * d + c] * k[j][h * d + c];
        return s / Math.sqrt(d);
      });
      const mx = Math.max(...scores);
      const ex = scores.map((s) => Math.exp(s - mx));
      const tot = ex.reduce((a, b) => a + b, 0);
      for (let j = 0; j < seq.length; j++) for (let c = 0; c < d; c++) concat[h * d + c] += (ex[j] / tot) * v[j][h * d + c];
    }
    const Wo = m.w.get('attention.out_proj.weight')!.values;
    const bo = m.w.get('attention.out_proj.bias')!.values;
    const out: number[] = [];
    for (let o = 0; o < E; o++) {
      let s = bo[o];
      for (let c = 0; c < E; c++) s += Wo[o * E + c] * concat[c];
      out.push(s);
    }
    return out;
  });
}

export interface RefOutput {
  logits: number[];
  magnitude: number;
  volatility: number;
  embedding: number[];
}

export function referenceForward(m: RefModel, features: number[][]): RefOutput {
  let x = sage(m, 'conv1', features, true);
  x = sage(m, 'conv2', x, true);
  x = sage(m, 'conv3', x, false);
  const E = m.hidden / 2;
  const mean = (rows: number[][]) => rows[0].map((_, c) => rows.reduce((s, r) => s + r[c], 0) / rows.length);
  const a = m.attention === 'pooled' ? mha(m, [mean(x)])[0] : mean(mha(m, x));
  const mu = a.reduce((s, v) => s + v, 0) / E;
  const variance = a.reduce((s, v) => s + (v - mu) ** 2, 0) / E;
  const nw = m.w.get('norm.weight')!.values;
  const nb = m.w.get('norm.bias')!.values;
  const z = a.map((v, c) => ((v - mu) / Math.sqrt(variance + 1e-5)) * nw[c] + nb[c]);
  const logits = linear(m, 'direction_head', z);
  const mag = linear(m, 'magnitude_head', z)[0];
  const vol = linear(m, 'volatility_head', z)[0];
  return { logits, magnitude: 1 / (1 + Math.exp(-mag)), volatility: Math.max(0, vol), embedding: z };
}

/** Loads a model file's weights into the reference (for the fixture models). */
export function fromSafetensors(file: SafetensorsFile): RefModel {
  const w = new Map<string, { shape: number[]; values: Float64Array }>();
  let edges: Array<[number, number]> = [];
  for (const [name, t] of file.tensors) {
    if (name === 'edge_index') {
      const ei = new BigInt64Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
      const M = t.shape[1];
      edges = Array.from({ length: M }, (_, k) => [Number(ei[k]), Number(ei[M + k])] as [number, number]);
      continue;
    }
    const f = new Float32Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
    w.set(name, { shape: t.shape, values: Float64Array.from(f) });
  }
  const md = file.metadata;
  return { levels: Number(md.levels), hidden: Number(md.hidden), heads: Number(md.heads), attention: md.attention as 'pooled' | 'levels', w, edges };
}

/** A random valid book of the given depth (prices in ticks around `mid`). */
export function randomBook(depthBids: number, depthAsks: number, seed: number): { bids: number[][]; asks: number[][] } {
  const rnd = mulberry32(seed);
  const mid = 50 + rnd() * 50000;
  const tick = mid * 1e-4;
  const spread = tick * (1 + Math.floor(rnd() * 4));
  const bids: number[][] = [];
  const asks: number[][] = [];
  let bp = mid - spread / 2;
  let ap = mid + spread / 2;
  for (let i = 0; i < depthBids; i++) {
    bids.push([bp, Math.exp(3 + 1.2 * (rnd() * 2 - 1))]);
    bp -= tick * (1 + Math.floor(rnd() * 2));
  }
  for (let i = 0; i < depthAsks; i++) {
    asks.push([ap, Math.exp(3 + 1.2 * (rnd() * 2 - 1))]);
    ap += tick * (1 + Math.floor(rnd() * 2));
  }
  return { bids, asks };
}
