// A fixed LobModel workload for callgrind: node bench/ab/lob-work.js CHECKOUT RUNS (run 1 and 6, subtract).
const hg = require(process.argv[2] + '/dist/index.js');
const D = 8, mu = Array(D).fill(5), alpha = Array.from({ length: D }, (_, i) => Array.from({ length: D }, (_, j) => (i === j ? 20 : 5)));
const lp = { mu, alpha, beta: Array(D).fill(100) };
const lob = new hg.LobModel({ hawkes: lp, jumps: { location: 1, scale: 1.5 }, tick: 0.01, initialBid: 100, initialAsk: 100.01 });
const n = Number(process.argv[3] || 1);
let ev = 0;
for (let i = 0; i < n; i++) ev += lob.simulate({ endTime: 40, seed: 1 + i, paths: 64, threads: 1 }).stats.events;
console.log('events', ev);
