// The benchmark's JavaScript peer: the order-book GNN as a Node developer would write it by hand
// on Float32Arrays, with care (weights transposed once so every inner loop runs over contiguous
// memory, buffers allocated once, no per-call garbage) but without native code or the algebraic
// folds. Raw nested book in, like hawkgraph's predict(). Depends on nothing outside Node.
'use strict';

const fs = require('node:fs');

function readSafetensors(file) {
  const bytes = fs.readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  const base = 8 + headerLength;
  const tensors = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = t.data_offsets;
    const raw = bytes.subarray(base + begin, base + end);
    const copy = new Uint8Array(raw); // aligned copy
    if (t.dtype === 'F32') tensors[name] = { shape: t.shape, data: new Float32Array(copy.buffer) };
    else if (t.dtype === 'I64') tensors[name] = { shape: t.shape, data: new BigInt64Array(copy.buffer) };
  }
  return { metadata: header.__metadata__ || {}, tensors };
}

// [out, in] -> [in, out], so y += x[k] * row k is an axpy over contiguous outputs.
function transpose(t) {
  const [rows, cols] = t.shape;
  const out = new Float32Array(rows * cols);
  for (let o = 0; o < rows; o++) for (let k = 0; k < cols; k++) out[k * rows + o] = t.data[o * cols + k];
  return out;
}

class GnnJs {
  constructor(file) {
    const { metadata, tensors } = readSafetensors(file);
    const T = (n) => tensors[n];
    this.L = Number(metadata.levels);
    this.F = Number(metadata.node_features);
    this.H = Number(metadata.hidden);
    this.E = this.H / 2;
    this.heads = Number(metadata.heads);
    this.mode = metadata.attention;
    this.conv = [1, 2, 3].map((i) => ({
      wl: transpose(T(`conv${i}.lin_l.weight`)),
      wr: transpose(T(`conv${i}.lin_r.weight`)),
      b: T(`conv${i}.lin_l.bias`).data,
      in: T(`conv${i}.lin_l.weight`).shape[1],
      out: T(`conv${i}.lin_l.weight`).shape[0],
    }));
    this.inProj = transpose(T('attention.in_proj_weight')); // [E, 3E]
    this.inBias = T('attention.in_proj_bias').data;
    this.outProj = transpose(T('attention.out_proj.weight'));
    this.outBias = T('attention.out_proj.bias').data;
    this.normW = T('norm.weight').data;
    this.normB = T('norm.bias').data;
    this.heads3 = [T('direction_head.weight').data, T('magnitude_head.weight').data, T('volatility_head.weight').data];
    this.headsB = [T('direction_head.bias').data, T('magnitude_head.bias').data, T('volatility_head.bias').data];
    // Incoming edges per node, sources ascending.
    const N = 2 * this.L;
    const ei = T('edge_index');
    const M = ei.shape[1];
    this.incoming = Array.from({ length: N }, () => []);
    for (let e = 0; e < M; e++) this.incoming[Number(ei.data[M + e])].push(Number(ei.data[e]));
    for (const l of this.incoming) l.sort((a, b) => a - b);
    const widest = Math.max(this.H, this.F);
    this.x = new Float32Array(N * this.F);
    this.agg = new Float32Array(N * widest);
    this.h1 = new Float32Array(N * this.H);
    this.h2 = new Float32Array(N * this.H);
    this.h3 = new Float32Array(N * this.E);
    this.qkv = new Float32Array(N * 3 * this.E);
    this.attn = new Float32Array(N * this.E);
    this.scores = new Float32Array(N);
    this.a = new Float32Array(this.E);
    this.g = new Float32Array(this.E);
    this.v = new Float32Array(this.E);
    this.z = new Float32Array(this.E);
  }

  features(book) {
    const L = Math.min(this.L, book.bids.length, book.asks.length);
    const mid = (book.bids[0][0] + book.asks[0][0]) / 2;
    let bt = 0;
    let at = 0;
    for (let i = 0; i < L; i++) {
      bt += book.bids[i][1];
      at += book.asks[i][1];
    }
    bt += 1e-8;
    at += 1e-8;
    const x = this.x;
    for (let i = 0; i < L; i++) {
      const b = 2 * i * 8;
      const a = b + 8;
      const [bp, bs] = book.bids[i];
      const [ap, as] = book.asks[i];
      x[b] = 1; x[b + 1] = Math.log1p(bs); x[b + 2] = (mid - bp) / mid; x[b + 3] = 0;
      x[b + 4] = i / L; x[b + 5] = 1 / (i + 1); x[b + 6] = bs / bt; x[b + 7] = 0;
      x[a] = 0; x[a + 1] = Math.log1p(as); x[a + 2] = (ap - mid) / mid; x[a + 3] = 0;
      x[a + 4] = i / L; x[a + 5] = 1 / (i + 1); x[a + 6] = as / at; x[a + 7] = 0;
    }
    return L;
  }

  sage(layer, n, x, y, relu) {
    const { wl, wr, b, in: K, out: O } = layer;
    const agg = this.agg;
    for (let i = 0; i < n; i++) {
      const ai = i * K;
      agg.fill(0, ai, ai + K);
      let deg = 0;
      for (const j of this.incoming[i]) {
        if (j >= n) break;
        for (let k = 0; k < K; k++) agg[ai + k] += x[j * K + k];
        deg++;
      }
      if (deg > 1) for (let k = 0; k < K; k++) agg[ai + k] /= deg;
      const yi = i * O;
      for (let o = 0; o < O; o++) y[yi + o] = b[o];
      for (let k = 0; k < K; k++) {
        const s = agg[ai + k];
        const t = x[i * K + k];
        const rl = k * O;
        for (let o = 0; o < O; o++) y[yi + o] += s * wl[rl + o] + t * wr[rl + o];
      }
      if (relu) for (let o = 0; o < O; o++) if (y[yi + o] < 0) y[yi + o] = 0;
    }
  }

  linear(v, vOff, K, wt, O, bias, bOff, y, yOff) {
    for (let o = 0; o < O; o++) y[yOff + o] = bias[bOff + o];
    for (let k = 0; k < K; k++) {
      const s = v[vOff + k];
      const r = k * O;
      for (let o = 0; o < O; o++) y[yOff + o] += s * wt[r + o];
    }
  }

  predict(book) {
    const levels = this.features(book);
    const n = 2 * levels;
    const { E, heads } = this;
    this.sage(this.conv[0], n, this.x, this.h1, true);
    this.sage(this.conv[1], n, this.h1, this.h2, true);
    this.sage(this.conv[2], n, this.h2, this.h3, false);
    const a = this.a;
    if (this.mode === 'pooled') {
      const g = this.g;
      g.fill(0);
      for (let i = 0; i < n; i++) for (let c = 0; c < E; c++) g[c] += this.h3[i * E + c];
      for (let c = 0; c < E; c++) g[c] /= n;
      // One token: softmax is 1, so attention is out_proj(v_proj(g)); v is the third block of in_proj.
      for (let o = 0; o < E; o++) this.v[o] = this.inBias[2 * E + o];
      for (let k = 0; k < E; k++) for (let o = 0; o < E; o++) this.v[o] += g[k] * this.inProj[k * 3 * E + 2 * E + o];
      this.linear(this.v, 0, E, this.outProj, E, this.outBias, 0, a, 0);
    } else {
      const E3 = 3 * E;
      const d = E / heads;
      const scale = 1 / Math.sqrt(d);
      for (let i = 0; i < n; i++) this.linear(this.h3, i * E, E, this.inProj, E3, this.inBias, 0, this.qkv, i * E3);
      for (let h = 0; h < heads; h++) {
        for (let i = 0; i < n; i++) {
          let max = -Infinity;
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let c = 0; c < d; c++) s += this.qkv[i * E3 + h * d + c] * this.qkv[j * E3 + E + h * d + c];
            s *= scale;
            this.scores[j] = s;
            if (s > max) max = s;
          }
          let total = 0;
          for (let j = 0; j < n; j++) total += this.scores[j] = Math.exp(this.scores[j] - max);
          for (let c = 0; c < d; c++) {
            let s = 0;
            for (let j = 0; j < n; j++) s += this.scores[j] * this.qkv[j * E3 + 2 * E + h * d + c];
            this.attn[i * E + h * d + c] = s / total;
          }
        }
      }
      a.fill(0);
      for (let i = 0; i < n; i++) {
        this.linear(this.attn, i * E, E, this.outProj, E, this.outBias, 0, this.v, 0);
        for (let c = 0; c < E; c++) a[c] += this.v[c] / n;
      }
    }
    let mean = 0;
    for (let c = 0; c < E; c++) mean += a[c];
    mean /= E;
    let varSum = 0;
    for (let c = 0; c < E; c++) varSum += (a[c] - mean) ** 2;
    const inv = 1 / Math.sqrt(varSum / E + 1e-5);
    const z = this.z;
    for (let c = 0; c < E; c++) z[c] = (a[c] - mean) * inv * this.normW[c] + this.normB[c];
    const out = [0, 0, 0, 0, 0];
    let idx = 0;
    for (let hd = 0; hd < 3; hd++) {
      const w = this.heads3[hd];
      const rows = w.length / E;
      for (let r = 0; r < rows; r++) {
        let s = this.headsB[hd][r];
        for (let c = 0; c < E; c++) s += w[r * E + c] * z[c];
        out[idx++] = s;
      }
    }
    const logits = [out[0], out[1], out[2]];
    const top = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - top));
    const t = e[0] + e[1] + e[2];
    const probs = e.map((v) => v / t);
    const dir = logits.indexOf(top);
    return {
      direction: ['down', 'flat', 'up'][dir],
      logits,
      probs,
      confidence: probs[dir],
      magnitude: 1 / (1 + Math.exp(-out[3])),
      volatility: Math.max(out[4], 0),
      embedding: z,
      levelsUsed: levels,
    };
  }
}

module.exports = { GnnJs, readSafetensors };
