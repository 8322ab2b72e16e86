// A small CUDA workload for compute-sanitizer (scripts/gpu/session.sh): both fixture models, fp16 and
// fp32 (fp16 only with `small`), both single-book paths, batches of mixed depths across bucket edges,
// a short Hawkes simulation and a short backtest per strategy.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const hg = require('../../dist/index.js');

const root = path.join(__dirname, '..', '..');
const small = process.argv[2] === 'small';
for (const mode of ['pooled', 'levels']) {
  const cases = JSON.parse(fs.readFileSync(path.join(root, 'test', 'fixtures', `gnn_${mode}_cases.json`), 'utf8')).cases;
  const books = cases.map((c, k) => ({ bids: c.bids.slice(0, 1 + (k % 20)), asks: c.asks }));
  for (const precision of small ? ['fp16'] : ['fp16', 'fp32']) {
    for (const singleBook of ['persistent', 'graph']) {
      const model = path.join(root, 'test', 'fixtures', `gnn_${mode}.safetensors`);
      const engine = hg.createEngine({ model, backend: 'cuda', precision, singleBook, threads: 2 });
      const one = engine.predict(books[3]);
      const few = engine.predictBatch(books.slice(0, small ? 3 : 9), { embedding: true });
      if (!small) engine.predictBatch(books.concat(books));
      console.log(mode, precision, singleBook, one.logits.map((v) => v.toFixed(4)).join(','), few.logits[0].toFixed(4));
      engine.close();
    }
  }
}
const hp = new hg.HawkesProcess({ mu: [0.5, 0.4], alpha: [[0.3, 0.1], [0.2, 0.2]], beta: 2 });
console.log('hawkes events', hp.simulate({ endTime: 50, seed: 1, paths: small ? 64 : 512, backend: 'cuda' }).times.length);
for (const strategy of ['sym', { lin: { bid: [1.5, 0.4], ask: [1.5, -0.4] } }]) {
  const r = hg.runBacktest({ strategy, paths: small ? 32 : 256, horizon: 30, seed: 1, backend: 'cuda' });
  console.log('backtest mean pnl', r.metrics.mean.toFixed(4));
}
console.log('sanitize workload done');
