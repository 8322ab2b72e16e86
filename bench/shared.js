// Small helpers the suites and peers share: a seeded generator, the typed-array book form, the
// backtest studies' 2 x 64 policy, and the model-ops suites' (swap, shadow) feed and summaries.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createHistogram, performance } = require('node:perf_hooks');

// mulberry32: a tiny seeded generator, uniform in (0, 1).
function makeRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

// A fixture case ({ bids, asks } of [price, size]) as four Float64Array columns.
function typedBook(c) {
  return {
    bidPx: Float64Array.from(c.bids, (l) => l[0]),
    bidSz: Float64Array.from(c.bids, (l) => l[1]),
    askPx: Float64Array.from(c.asks, (l) => l[0]),
    askSz: Float64Array.from(c.asks, (l) => l[1]),
  };
}

// The 2 x 64 actor the backtest and distributed suites' studies use: deterministic weights, input normalisation in the metadata.
function policyBytes() {
  let a = 12345;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  const widths = [3, 64, 64, 2];
  const header = { __metadata__: { input_mean: '[0, 2, 0]', input_std: '[5, 2, 10]', output_activation: 'tanh', output_scale: '[2, 2]', output_offset: '[2, 2]' } };
  const chunks = [];
  let off = 0;
  for (let l = 0; l < 3; l++) {
    for (const [name, shape] of [[`layers.${l}.weight`, [widths[l + 1], widths[l]]], [`layers.${l}.bias`, [widths[l + 1]]]]) {
      const n = shape.reduce((x, y) => x * y, 1);
      const f = new Float32Array(n).map(() => rnd() * 0.5);
      header[name] = { dtype: 'F32', shape, data_offsets: [off, off + 4 * n] };
      off += 4 * n;
      chunks.push(Buffer.from(f.buffer));
    }
  }
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return new Uint8Array(Buffer.concat([len, h, ...chunks]));
}

// The model file at `from` with `extra` merged into its metadata, written to a temporary file:
// other bytes, so another modelId, and the same weights, so the same cost.
function withMetadata(from, extra) {
  const bytes = fs.readFileSync(from);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  header.__metadata__ = { ...header.__metadata__, ...extra };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hawkgraph-bench-')), 'model.safetensors');
  fs.writeFileSync(file, Buffer.concat([length, json, bytes.subarray(8 + headerLength)]));
  return file;
}

const FEED_SYMBOLS = 100;
// perf_hooks histograms are HdrHistogram (3 significant figures), in ns.
const nsHistogram = () => createHistogram({ lowest: 1, highest: 60e9, figures: 3 });
const recordNs = (h, ns) => h.record(Math.max(1, Math.round(ns)));

// Counts a stream's 'dropped' events until off(): superseded (a newer book of the symbol replaced
// it) and every other reason.
function dropCounter(engine) {
  const on = (d) => {
    if (d.reason === 'superseded') drops.superseded++;
    else drops.other++;
  };
  const drops = { superseded: 0, other: 0, off: () => engine.off('dropped', on) };
  engine.on('dropped', on);
  return drops;
}

// A websocket-like feed: every `tickMs` a timer submits, in one burst, the books that fell due
// since the last tick (book k is due at t0 + k / rate, over 100 symbols), so the JS thread idles
// between bursts as a bot's does. Per recorded book (due after the warmup): `latency`, the
// event's latencyNs (submit() to its dispatch on the JS thread, measured natively, the figure the
// targets name), and `due`, from the book's due time to its listener (what the tick's wait adds).
// `onRecord(e)` sees each recorded event. Resolves once every book is predicted or dropped.
async function burstFeed(engine, books, { rate, seconds, warmupSeconds, tickMs = 1, onRecord, onTick }) {
  const latency = nsHistogram(), due = nsHistogram();
  const parts = { queue: nsHistogram(), compute: nsHistogram() };
  const symbols = Array.from({ length: FEED_SYMBOLS }, (_, i) => `SYM${i}`);
  const interval = 1000 / rate;
  const t0 = performance.now() + 2;
  const recordFrom = t0 + warmupSeconds * 1000;
  const total = Math.round(rate * (seconds + warmupSeconds));
  let predicted = 0, ticks = 0;
  const onPrediction = (e) => {
    predicted++;
    if (e.ts < recordFrom) return;
    recordNs(due, (performance.now() - e.ts) * 1e6);
    recordNs(latency, e.latencyNs);
    recordNs(parts.queue, e.queueNs);
    recordNs(parts.compute, e.computeNs);
    if (onRecord) onRecord(e);
  };
  engine.on('prediction', onPrediction);
  const drops = dropCounter(engine);
  const before = engine.streamStats();
  let k = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (k < total && t0 + k * interval <= now) {
        engine.submit(symbols[k % FEED_SYMBOLS], books[k % books.length], { ts: t0 + k * interval });
        k++;
      }
      ticks++;
      if (onTick) onTick(now);
      if (k < total) setTimeout(tick, tickMs);
      else resolve();
    };
    setTimeout(tick, 2);
  });
  while (engine.streamStats().pending > 0) await new Promise((resolve) => setTimeout(resolve, 1));
  engine.off('prediction', onPrediction);
  drops.off();
  const after = engine.streamStats();
  const submitted = after.submitted - (before ? before.submitted : 0);
  const batches = after.batches - (before ? before.batches : 0);
  return { latency, due, parts, predicted, superseded: drops.superseded, otherDrops: drops.other, submitted, batches, booksPerTick: total / ticks };
}

// The runner's stats shape (µs) from a histogram of ns.
function histogramStats(h, seconds) {
  const us = (ns) => ns / 1e3;
  return {
    samples: h.count,
    p50: us(h.percentile(50)),
    p90: us(h.percentile(90)),
    p99: us(h.percentile(99)),
    p999: us(h.percentile(99.9)),
    max: us(h.max),
    mean: us(h.mean),
    throughput: h.count / seconds,
    itemsPerCall: 1,
  };
}

// One histogram of every round's (rounds alternate between kinds, so a shared machine's drift
// hits each kind alike).
function pooled(histograms) {
  const all = nsHistogram();
  for (const h of histograms) all.add(h);
  return all;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// "a, b, c (median m, spread lo-hi)" of one percentile per round, in µs.
function perRound(histograms, p) {
  const xs = histograms.map((h) => h.percentile(p) / 1e3);
  const fmt = (x) => x.toFixed(0);
  return { median: median(xs), spread: Math.max(...xs) - Math.min(...xs), text: `${xs.map(fmt).join(', ')} (median ${fmt(median(xs))}, spread ${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))})` };
}

// What the machine was doing: the load average, for the reader of a wall-clock figure.
const loadAverage = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

// Kernel threads that take a core for milliseconds whatever the bench does: on this project's
// hosts kdamond.0 (DAMON's monitor, in a kernel built without preemption) runs 1 to 5 ms every
// 512 ms, and any book in flight meanwhile waits. They are found by what they ran over
// `calibrationMs` (at least `minimumUs` of CPU), then `ranNs()` is their run time since boot, read
// from /proc/<pid>/schedstat (ns). Empty where /proc is not Linux's.
async function kernelHousekeeping(calibrationMs = 1100, minimumUs = 500) {
  const ranNsOf = (pid) => {
    try {
      return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      return 0;  // it exited
    }
  };
  let kernelThreads = [];
  try {
    kernelThreads = fs.readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d)).filter((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        return pid === '2' || stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] === '2';  // kthreadd's children
      } catch {
        return false;
      }
    });
  } catch {
    kernelThreads = [];
  }
  const before = kernelThreads.map(ranNsOf);
  await new Promise((resolve) => setTimeout(resolve, calibrationMs));
  const busy = kernelThreads.filter((pid, i) => ranNsOf(pid) - before[i] >= minimumUs * 1e3);
  const names = busy.map((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return pid;
    }
  });
  return { names, ranNs: () => busy.reduce((sum, pid) => sum + ranNsOf(pid), 0) };
}

// Intervals (performance.now() ms) in which the housekeeping threads ran at least `minimumUs`,
// from samples taken at each feed tick: pass `onTick` to burstFeed.
function stallRecorder(housekeeping, minimumUs = 200) {
  const stalls = [];
  let lastNs = housekeeping.ranNs(), lastAt = performance.now();
  const onTick = (now) => {
    if (!housekeeping.names.length) return;
    const ns = housekeeping.ranNs();
    if (ns - lastNs >= minimumUs * 1e3) stalls.push({ from: lastAt, to: now, us: (ns - lastNs) / 1e3 });
    lastNs = ns;
    lastAt = now;
  };
  return { stalls, onTick };
}

module.exports = {
  kernelHousekeeping, stallRecorder,
  makeRandom, typedBook, policyBytes, withMetadata, dropCounter, burstFeed, histogramStats, pooled, perRound, median, nsHistogram, recordNs, loadAverage,
};
