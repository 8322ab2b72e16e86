// A small trading-bot loop on a simulated feed: books for many symbols arrive as a random walk,
// each goes to engine.submit() (the JS thread pays about a microsecond), and predictions come back
// as events that move a toy position. Run: node examples/bot-loop.js [seconds] [books/s] [symbols]
'use strict';

const { createHistogram } = require('node:perf_hooks');

const { createEngine, exampleModelPath } = require('..');

const seconds = Number(process.argv[2] ?? 3);
const rate = Number(process.argv[3] ?? 5000);
const symbolCount = Number(process.argv[4] ?? 20);
const LEVELS = 20;

// Each symbol's book as four reusable columns: submit() copies them, so the feed may overwrite
// them right after.
function makeSymbol(name, seed) {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const tick = 0.01;
  const book = {
    bidPx: new Float64Array(LEVELS), bidSz: new Float64Array(LEVELS),
    askPx: new Float64Array(LEVELS), askSz: new Float64Array(LEVELS),
  };
  let mid = 100 + 50 * rnd();
  return {
    name,
    book,
    position: 0,
    pnl: 0,
    mid: () => mid,
    step() {
      mid += (rnd() - 0.5) * tick * 2;
      const half = tick * (1 + Math.floor(rnd() * 2)) / 2;
      for (let i = 0; i < LEVELS; i++) {
        book.bidPx[i] = mid - half - i * tick;
        book.askPx[i] = mid + half + i * tick;
        book.bidSz[i] = 1 + 20 * rnd();
        book.askSz[i] = 1 + 20 * rnd();
      }
      return book;
    },
  };
}

async function main() {
  const engine = createEngine({ model: exampleModelPath, stream: { statsIntervalMs: 1000 } });
  const symbols = Array.from({ length: symbolCount }, (_, i) => makeSymbol(`SYM${i}`, 7 + i));
  const bySymbol = new Map(symbols.map((s) => [s.name, s]));
  let trades = 0;

  engine.on('prediction', (p) => {
    const s = bySymbol.get(p.symbol);
    // Lean with confident calls, flatten otherwise; mark-to-market on the simulated mid.
    const target = p.confidence > 0.5 ? (p.direction === 'up' ? 1 : p.direction === 'down' ? -1 : 0) : 0;
    if (target !== s.position) {
      s.pnl -= (target - s.position) * s.mid();
      s.position = target;
      trades++;
    }
  });
  engine.on('error', (e) => console.error('stream error:', e.code, e.message));
  engine.on('stats', (st) => {
    console.log(
      `submitted ${st.submitted}  predicted ${st.predicted}  superseded ${st.dropped.superseded}  pending ${st.pending}  ` +
        `batches ${st.batches}  submit->event p50 ${(st.latencyNs.p50 / 1e3).toFixed(1)} µs p99 ${(st.latencyNs.p99 / 1e3).toFixed(1)} µs`,
    );
  });

  // The feed: books due at a fixed rate, sent when due (a real bot would do this from its socket).
  const start = performance.now();
  const interval = 1000 / rate;
  let sent = 0;
  const submitCost = createHistogram();
  while (performance.now() - start < seconds * 1000) {
    const due = Math.floor((performance.now() - start) / interval);
    while (sent < due) {
      const s = symbols[sent % symbols.length];
      const book = s.step();
      const t0 = process.hrtime.bigint();
      engine.submit(s.name, book, { ts: start + sent * interval });
      submitCost.record(Math.max(1, Number(process.hrtime.bigint() - t0)));
      sent++;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }

  const final = await engine.close({ drain: true });
  const pnl = symbols.reduce((sum, s) => sum + s.pnl + s.position * s.mid(), 0);
  console.log(
    `\ndone: ${final.submitted} books over ${symbolCount} symbols in ${seconds} s; ${final.predicted} predictions, ` +
      `${final.dropped.superseded} superseded, ${final.pending} pending; submit() p50 ${(submitCost.percentile(50) / 1e3).toFixed(2)} µs, ` +
      `p99 ${(submitCost.percentile(99) / 1e3).toFixed(2)} µs (it wakes the thread when idle); ` +
      `${trades} position changes, toy PnL ${pnl.toFixed(2)}`,
  );
  if (final.submitted !== final.predicted + final.dropped.total) throw new Error('accounting mismatch');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
