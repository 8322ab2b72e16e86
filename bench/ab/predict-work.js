// A fixed predict() workload for callgrind: node bench/ab/predict-work.js CHECKOUT CALLS (run 100 and 2100, subtract).
const hg = require(process.argv[2] + '/dist/index.js');
const cases = require(process.argv[2] + '/test/fixtures/gnn_pooled_cases.json').cases;
const engine = hg.createEngine({ model: process.argv[2] + '/test/fixtures/gnn_pooled.safetensors', backend: 'cpu' });
const books = cases.slice(0, 16).map((c) => ({ bids: c.bids, asks: c.asks }));
const n = Number(process.argv[3]);
let into;
for (let i = 0; i < n; i++) into = engine.predict(books[i & 15], into ? { into } : undefined);
console.log(into.direction);
