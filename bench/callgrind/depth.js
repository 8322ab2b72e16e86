// A fixed DepthModel run for instruction counts (BENCHMARKS.md, "Full-depth book simulation"):
//   valgrind --tool=callgrind --callgrind-out-file=cg.out node bench/callgrind/depth.js
//   callgrind_annotate --inclusive=yes cg.out | grep 'simulate_depth_into('
// 4 paths x 300 s, 20 levels, one thread; prints the books, the events and a hash of the output,
// so two builds can be checked to make the same books.
'use strict';

const hg = require(process.env.HAWKGRAPH_DIST || '../../dist/index.js');

const s = new hg.DepthModel().simulate({ levels: 20, interval: 0.1, warmup: 10, duration: 300, paths: 4, seed: 1, threads: 1 });
let h = 0;
for (let i = 0; i < s.columns.length; i += 7) h = (h * 31 + s.columns[i] * 1000) % 1e9;
for (let i = 0; i < s.length; i++) h = (h * 7 + s.labels.direction[i] + s.labels.volatility[i]) % 1e9;
console.log(s.length, s.classEvents.reduce((a, b) => a + b, 0), h);
