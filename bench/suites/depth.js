// Full-depth book simulation (DepthModel: Cont, Stoikov and Talreja order flow with Hawkes
// excitation; docs/depth.md): labelled 20-level books per second, one snapshot every 100 ms of
// simulated time, on 1 and 2 threads, into fresh arrays and into the arrays of the previous result
// (simulate({ into })), against the same model written in plain JavaScript (no labels) in the same
// run. Target (issue 16): >= 1 million labelled 20-level books/s on 2 cores.
'use strict';

const { simulateDepthJs } = require('../peers/depth-js.js');

module.exports = {
  name: 'depth',
  title: 'Full-depth book simulation, labelled 20-level books/s (hawkgraph DepthModel vs plain JavaScript)',
  async run(ctx) {
    const hg = ctx.hawkgraph;
    if (typeof hg.DepthModel !== 'function') {
      ctx.note('this build has no DepthModel');
      return;
    }
    const model = new hg.DepthModel();
    const spec = { levels: 20, interval: 0.1, warmup: 10, duration: ctx.quick ? 60 : 600 };
    const paths = ctx.quick ? 8 : 40;
    const opts = { minSamples: 3, minTimeMs: ctx.quick ? 300 : 2000, maxTimeMs: ctx.quick ? 2000 : 10000, warmup: 1 };
    // Minor page faults a call takes (process.resourceUsage), best of 3: fresh result arrays fault
    // their memory in as the threads write it (huge pages where THP allows), reused ones do not.
    const faults = (call) => {
      let best = Infinity;
      for (let r = 0; r < 3; r++) {
        const f0 = process.resourceUsage().minorPageFault;
        call();
        best = Math.min(best, process.resourceUsage().minorPageFault - f0);
      }
      return best;
    };
    let one;
    for (const into of [false, true]) {
      for (const threads of [1, 2]) {
        const base = { ...spec, paths, seed: 1, threads };
        let target = model.simulate(base);
        const run = into ? () => model.simulate({ ...base, into: target }) : () => model.simulate(base);
        const s = run();
        const events = s.classEvents.reduce((a, b) => a + b, 0);
        const stats = await ctx.measure(run, { ...opts, itemsPerCall: s.length });
        if (threads === 1 && !into) one = stats.throughput;
        const mib = ((s.columns.byteLength + 8 * s.length * 8) / 1048576).toFixed(0);
        ctx.addRow({
          name: `DepthModel.simulate, ${threads} thread${threads > 1 ? 's' : ''}${into ? ', into the previous result' : ', fresh arrays'}: books/s (${paths} paths x ${spec.duration} s, 20 levels, labels)`,
          stats,
          note: `${(events / s.length).toFixed(1)} events a book; ${((stats.throughput * events) / s.length / 1e6).toFixed(2)}M events/s; ${faults(run)} page faults a call (${mib} MiB of results)${threads === 2 ? '; target >= 1M books/s' : ''}`,
        });
        target = null;
      }
    }
    const out = new Float64Array((Math.floor(spec.duration / spec.interval) + 1) * 80);
    const jsPaths = ctx.quick ? 2 : 8;
    const jsRun = () => {
      let n = 0;
      for (let p = 0; p < jsPaths; p++) n += simulateDepthJs(model.params, spec, out);
      return n;
    };
    const jsBooks = jsRun();
    const js = await ctx.measure(jsRun, { ...opts, itemsPerCall: jsBooks });
    ctx.addRow({
      name: 'the same model in plain JavaScript (Math.random), 1 thread: books/s, no labels',
      stats: js,
      ratio: one / js.throughput,
      note: 'ratio: hawkgraph 1-thread books/s over this',
    });
  },
};
