// The full-depth book model of DepthModel (Cont, Stoikov and Talreja order flow with Hawkes
// excitation between the six event classes; docs/depth.md) written as a user would in plain
// JavaScript: Math.random, arrays, one snapshot of `levels` levels a side every `interval`
// seconds into a Float64Array in the batch layout. Labels are not computed (the peer does less).
'use strict';

function poisson(mean) {
  const u = Math.random();
  let p = Math.exp(-mean), cdf = p, k = 0;
  while (u > cdf && p > 0) {
    k++;
    p *= mean / k;
    cdf += p;
  }
  return k;
}

/** Simulates one path; returns the snapshots taken. `m` holds DepthModel's params (alpha flat). */
function simulateDepthJs(m, { levels, interval, warmup, duration }, out) {
  const K = m.window;
  const bid = new Array(K), ask = new Array(K);
  let b = m.initialBid, a = m.initialAsk;
  for (let j = 0; j < K; j++) {
    const i = Math.min(a - b + j, K) - 1;
    const mean = m.cancelRate[i] > 0 ? m.limitRate[i] / m.cancelRate[i] : m.farDepth;
    bid[j] = poisson(mean);
    ask[j] = poisson(mean);
  }
  bid[0] = Math.max(bid[0], 1);
  ask[0] = Math.max(ask[0], 1);
  const limitTotal = m.limitRate.reduce((x, y) => x + y, 0);
  const y = new Array(6).fill(0);
  const cancelTotal = (q) => {
    let s = 0;
    for (let j = 0; j < K; j++) s += m.cancelRate[Math.min(a - b + j, K) - 1] * q[j];
    return s;
  };
  const nextBest = (q, dir) => {
    while (q[0] === 0) {
      let j = 1;
      while (j < K && q[j] === 0) j++;
      for (let k = 0; k + j < K; k++) q[k] = q[k + j];
      for (let k = Math.max(0, K - j); k < K; k++) q[k] = poisson(m.farDepth);
      if (dir > 0) a += j; else b -= j;
    }
  };
  let t = 0, taken = 0;
  const last = warmup + duration, stride = 4 * levels;
  for (;;) {
    const rates = [m.marketRate, m.marketRate, limitTotal, limitTotal, cancelTotal(bid), cancelTotal(ask)];
    const base = rates.reduce((x, v) => x + v, 0);
    const exc = y.reduce((x, v) => x + v, 0);
    const dtBase = -Math.log(Math.random()) / base;
    let dtExc = Infinity;
    const e = -Math.log(Math.random());
    if (exc > 0 && e < exc / m.beta) dtExc = -Math.log(1 - (e * m.beta) / exc) / m.beta;
    const dt = Math.min(dtBase, dtExc);
    for (let at = warmup + interval * taken; at <= last && at < t + dt; at = warmup + interval * (++taken)) {
      const o = taken * stride;
      let n = 0;
      for (let j = 0; j < K && n < levels; j++) if (bid[j] > 0) { out[o + n] = (b - j) * m.tick; out[o + levels + n] = bid[j]; n++; }
      n = 0;
      for (let j = 0; j < K && n < levels; j++) if (ask[j] > 0) { out[o + 2 * levels + n] = (a + j) * m.tick; out[o + 3 * levels + n] = ask[j]; n++; }
    }
    if (t + dt > last) return taken;
    const decay = Math.exp(-m.beta * dt);
    for (let k = 0; k < 6; k++) y[k] *= decay;
    t += dt;
    const w = dtBase <= dtExc ? rates : y;
    let u = Math.random() * w.reduce((x, v) => x + v, 0), c = 0;
    while (c < 5 && (u -= w[c]) >= 0) c++;
    if (c <= 1) {
      const q = c === 0 ? ask : bid;
      q[0]--;
      if (q[0] === 0) nextBest(q, c === 0 ? 1 : -1);
    } else if (c <= 3) {
      let v = Math.random() * limitTotal, i = 0;
      while (i < K - 1 && (v -= m.limitRate[i]) >= 0) i++;
      const dist = i + 1;
      if (c === 2) {
        const price = a - dist;
        if (price > b) { const sh = price - b; for (let j = K - 1; j >= sh; j--) bid[j] = bid[j - sh]; for (let j = 0; j < Math.min(sh, K); j++) bid[j] = 0; bid[0] = 1; b = price; }
        else bid[b - price]++;
      } else {
        const price = b + dist;
        if (price < a) { const sh = a - price; for (let j = K - 1; j >= sh; j--) ask[j] = ask[j - sh]; for (let j = 0; j < Math.min(sh, K); j++) ask[j] = 0; ask[0] = 1; a = price; }
        else ask[price - a]++;
      }
    } else {
      const q = c === 4 ? bid : ask;
      let v = Math.random() * cancelTotal(q), j = 0;
      for (; j < K - 1; j++) { if (q[j] === 0) continue; v -= m.cancelRate[Math.min(a - b + j, K) - 1] * q[j]; if (v <= 0) break; }
      while (q[j] === 0) j--;
      q[j]--;
      if (j === 0 && q[0] === 0) nextBest(q, c === 4 ? -1 : 1);
    }
    for (let k = 0; k < 6; k++) y[k] += m.alpha[k * 6 + c];
  }
}

module.exports = { simulateDepthJs };
