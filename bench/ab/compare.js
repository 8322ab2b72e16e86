// Medians of the rows bench/ab/alternate.sh wrote: node bench/ab/compare.js OUT_DIR
'use strict';
const DIR = process.argv[2];
const fs = require('fs');
const rows = {};
for (const f of fs.readdirSync(DIR).filter((f) => /^(before|after)-\d\.txt$/.test(f))) {
  const side = f.split('-')[0];
  for (const line of fs.readFileSync(DIR + '/' + f, 'utf8').split('\n')) {
    const c = line.split('|').map((s) => s.trim());
    if (c.length < 10 || !/^(gnn-cpu|hawkes|backtest)$/.test(c[1])) continue;
    const key = `${c[1]} | ${c[2]}`;
    (rows[key] ??= { before: [], after: [] })[side].push({ p50: Number(c[3]), thr: Number(c[8].replace(/,/g, '')) });
  }
}
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[(s.length - 1) >> 1] : NaN; };
console.log('| suite | case | p50 µs before (median of runs) | p50 µs after | after/before | runs |');
console.log('| --- | --- | ---: | ---: | ---: | ---: |');
for (const [k, v] of Object.entries(rows)) {
  const b = med(v.before.map((r) => r.p50)), a = med(v.after.map((r) => r.p50));
  console.log(`| ${k} | ${b} | ${a} | ${(a / b).toFixed(2)} | ${v.before.length}/${v.after.length} |`);
}
