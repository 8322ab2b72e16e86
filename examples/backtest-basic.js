// Market-making backtests on the default model (the seed paper's interactive Hawkes LOB model): SYM, the GLFT quotes as a LIN
// strategy, and a JS callback (the slow path) quoting one tick outside the best prices, off the
// JS thread with progress; then a small robustness study. Run: npm run build:ts && node examples/backtest-basic.js
'use strict';

const { runBacktestAsync, runStudy, glftOffsets } = require('..');

async function main() {
  const glft = glftOffsets({ A: 2, k: 0.5, sigma: 3, gamma: 0.01 });
  console.log('GLFT offsets (ticks from the mid):', glft);
  for (const [name, strategy, paths] of [
    ['SYM', 'sym', 1000],
    ['GLFT', { lin: glft }, 1000],
    ['callback', (s) => ({ bidOffset: s.spread / 2 + 1, askOffset: s.spread / 2 + 1 }), 20],
  ]) {
    const t0 = Date.now();
    const r = await runBacktestAsync({ strategy, paths, seed: 1 }, {
      onProgress: (p) => process.stderr.write(`\r${name}: ${p.pathsDone}/${p.paths} paths`),
    });
    const m = r.metrics;
    process.stderr.write('\n');
    console.log(`${name}: ${paths} paths in ${((Date.now() - t0) / 1000).toFixed(2)} s; mean PnL ${m.mean.toFixed(2)}, std ${m.std.toFixed(2)}, ` +
      `Sharpe ${m.sharpe.toFixed(2)}, p5 ${m.percentiles.p5.toFixed(2)}, MAP ${m.map.toFixed(2)}, trades ${m.meanTrades.toFixed(0)}`);
  }
  const study = runStudy({ strategies: { SYM: 'sym', GLFT: { lin: glft } }, paths: 200, seed: 1 });
  for (const row of study.rows) {
    console.log(`${row.strategy.padEnd(5)} ${row.study.padEnd(5)} noise ${row.noiseVariance.toFixed(1)} fee ${(100 * row.fee.maker).toFixed(1)}%: ` +
      `mean ${row.metrics.mean.toFixed(2)}, Sharpe ${row.metrics.sharpe.toFixed(2)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
