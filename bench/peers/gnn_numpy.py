#!/usr/bin/env python3
"""The benchmark's numpy peer: the order-book GNN in float32 numpy, raw book in (features built
here too), as a Python developer would write it (vectorised per layer, dense adjacency matrix for
the neighbour mean). Usage: gnn_numpy.py MODEL.safetensors CASES.json ITERATIONS
Prints one JSON object: the worst absolute error over the fixture cases, then per-call timings
(perf_counter_ns) summarised with numpy.percentile."""
import json
import struct
import sys
import time

import numpy as np


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    (n,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    meta = header.pop('__metadata__', {})
    tensors = {}
    for name, t in header.items():
        b, e = t['data_offsets']
        dtype = {'F32': np.float32, 'I64': np.int64}[t['dtype']]
        tensors[name] = np.frombuffer(data[base + b:base + e], dtype=dtype).reshape(t['shape']).copy()
    return meta, tensors


class GnnNumpy:
    def __init__(self, path):
        meta, t = read_safetensors(path)
        self.L = int(meta['levels'])
        self.heads = int(meta['heads'])
        self.mode = meta['attention']
        self.t = t
        n = 2 * self.L
        adj = np.zeros((n, n), np.float32)
        src, dst = t['edge_index']
        adj[dst, src] = 1.0
        self.adj = adj
        self.conv = [(t[f'conv{i}.lin_l.weight'].T.copy(), t[f'conv{i}.lin_l.bias'], t[f'conv{i}.lin_r.weight'].T.copy()) for i in (1, 2, 3)]
        self.in_w = t['attention.in_proj_weight'].T.copy()
        self.in_b = t['attention.in_proj_bias']
        self.out_w = t['attention.out_proj.weight'].T.copy()
        self.out_b = t['attention.out_proj.bias']
        self.heads_w = np.concatenate([t['direction_head.weight'], t['magnitude_head.weight'], t['volatility_head.weight']]).T.copy()
        self.heads_b = np.concatenate([t['direction_head.bias'], t['magnitude_head.bias'], t['volatility_head.bias']])

    def features(self, bids, asks):
        L = min(self.L, len(bids), len(asks))
        b = np.asarray(bids[:L], np.float64)
        a = np.asarray(asks[:L], np.float64)
        mid = (b[0, 0] + a[0, 0]) / 2
        i = np.arange(L, dtype=np.float64)
        x = np.zeros((2 * L, 8), np.float64)
        x[0::2, 0] = 1
        x[0::2, 1] = np.log1p(b[:, 1])
        x[1::2, 1] = np.log1p(a[:, 1])
        x[0::2, 2] = (mid - b[:, 0]) / mid
        x[1::2, 2] = (a[:, 0] - mid) / mid
        x[:, 4] = np.repeat(i / L, 2)
        x[:, 5] = np.repeat(1 / (i + 1), 2)
        x[0::2, 6] = b[:, 1] / (b[:, 1].sum() + 1e-8)
        x[1::2, 6] = a[:, 1] / (a[:, 1].sum() + 1e-8)
        return x.astype(np.float32), L

    def predict(self, bids, asks):
        x, L = self.features(bids, asks)
        n = 2 * L
        adj = self.adj[:n, :n]
        deg = adj.sum(1, keepdims=True)
        mean = adj / np.maximum(deg, 1)
        for k, (wl, b, wr) in enumerate(self.conv):
            x = (mean @ x) @ wl + b + x @ wr
            if k < 2:
                x = np.maximum(x, 0)
        E = x.shape[1]
        if self.mode == 'pooled':
            g = x.mean(0)
            v = g @ self.in_w[:, 2 * E:] + self.in_b[2 * E:]
            a = v @ self.out_w + self.out_b
        else:
            qkv = x @ self.in_w + self.in_b
            q, k, v = qkv[:, :E], qkv[:, E:2 * E], qkv[:, 2 * E:]
            d = E // self.heads
            q = q.reshape(n, self.heads, d).transpose(1, 0, 2)
            k = k.reshape(n, self.heads, d).transpose(1, 0, 2)
            v = v.reshape(n, self.heads, d).transpose(1, 0, 2)
            s = q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(d))
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            o = (s @ v).transpose(1, 0, 2).reshape(n, E)
            a = (o @ self.out_w + self.out_b).mean(0)
        mu = a.mean()
        var = ((a - mu) ** 2).mean()
        z = (a - mu) / np.sqrt(var + 1e-5) * self.t['norm.weight'] + self.t['norm.bias']
        h = z @ self.heads_w + self.heads_b
        return h[:3], 1 / (1 + np.exp(-h[3])), max(h[4], 0.0), z


def main():
    model, cases_path, iterations = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cases = json.load(open(cases_path))['cases']
    net = GnnNumpy(model)
    worst = 0.0
    for c in cases:
        logits, mag, vol, z = net.predict(c['bids'], c['asks'])
        e = c['expected']
        worst = max(worst, float(np.abs(logits - e['direction']).max()), abs(float(mag) - e['magnitude'][0]),
                    abs(float(vol) - e['volatility'][0]), float(np.abs(z - e['embeddings']).max()))
    bids, asks = cases[0]['bids'], cases[0]['asks']
    for _ in range(min(iterations // 10, 1000)):
        net.predict(bids, asks)
    ns = np.empty(iterations, np.int64)
    clock = time.perf_counter_ns
    for i in range(iterations):
        t0 = clock()
        net.predict(bids, asks)
        ns[i] = clock() - t0
    us = ns / 1e3
    print(json.dumps({
        'worst': worst,
        'numpy': np.__version__,
        'samples': int(iterations),
        'p50': float(np.percentile(us, 50)), 'p90': float(np.percentile(us, 90)), 'p99': float(np.percentile(us, 99)),
        'p999': float(np.percentile(us, 99.9)), 'max': float(us.max()), 'mean': float(us.mean()),
        'throughput': float(1e6 / us.mean()), 'itemsPerCall': 1,
    }))


if __name__ == '__main__':
    main()
