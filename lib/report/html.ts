/**
 * A study as one self-contained HTML file: inline SVG plots (terminal-PnL histogram with a
 * Gaussian kernel density per strategy, terminal inventory distribution, mean PnL over time with
 * its 95 % band, Sharpe against fee) and the metrics table. No scripts, fonts or external
 * resources: the file opens anywhere. Every drawn mark carries class "mark" and each plot
 * data-plot="<name>", so a test can check that a browser laid out every plot's marks. The frame,
 * line and formatting helpers are shared with the fit report (fit.ts).
 */
import type { BacktestMetrics, StudyResult } from '../backtest';

export const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const W = 640, H = 320, M = { left: 64, right: 16, top: 28, bottom: 44 };

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function fmt(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3)) return v.toExponential(digits - 1);
  return Number(v.toPrecision(digits)).toString();
}

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12 * step; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export interface Scale {
  x(v: number): number;
  y(v: number): number;
}

export function frame(plot: string, title: string, xLabel: string, yLabel: string, x0: number, x1: number, y0: number, y1: number, body: (s: Scale) => string, legend: string[] = []): string {
  if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
  if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
  const s: Scale = {
    x: (v) => M.left + ((v - x0) / (x1 - x0)) * (W - M.left - M.right),
    y: (v) => H - M.bottom - ((v - y0) / (y1 - y0)) * (H - M.top - M.bottom),
  };
  const xt = niceTicks(x0, x1).map((v) => `<line x1="${s.x(v)}" x2="${s.x(v)}" y1="${H - M.bottom}" y2="${H - M.bottom + 4}" stroke="#444"/><text x="${s.x(v)}" y="${H - M.bottom + 16}" text-anchor="middle">${fmt(v)}</text>`).join('');
  const yt = niceTicks(y0, y1).map((v) => `<line x1="${M.left - 4}" x2="${W - M.right}" y1="${s.y(v)}" y2="${s.y(v)}" stroke="#ddd"/><text x="${M.left - 6}" y="${s.y(v) + 4}" text-anchor="end">${fmt(v)}</text>`).join('');
  const leg = legend.map((name, i) => `<rect x="${W - M.right - 150}" y="${M.top + i * 16}" width="10" height="10" fill="${COLOURS[i % COLOURS.length]}"/><text x="${W - M.right - 135}" y="${M.top + 9 + i * 16}">${esc(name)}</text>`).join('');
  return `<figure><svg data-plot="${plot}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">
<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>
${yt}${xt}
<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#444"/>
<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#444"/>
<text x="${(M.left + W - M.right) / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>
<text transform="translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>
${body(s)}${leg}</svg></figure>`;
}

export function polyline(points: [number, number][], colour: string, extra = ''): string {
  return `<path class="mark" d="${points.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(2)},${y.toFixed(2)}`).join('')}" fill="none" stroke="${colour}" stroke-width="2" ${extra}/>`;
}

/** Gaussian kernel density with Silverman's rule-of-thumb bandwidth, on a grid. */
export function kde(values: ArrayLike<number>, grid: number[]): number[] {
  const n = values.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i] - mean) ** 2;
  const sd = Math.sqrt(v / Math.max(1, n - 1));
  const sorted = Float64Array.from(values).sort();
  const iqr = sorted[Math.floor(0.75 * (n - 1))] - sorted[Math.floor(0.25 * (n - 1))];
  const spread = Math.min(sd, iqr > 0 ? iqr / 1.34 : sd) || sd || 1;
  const h = 0.9 * spread * Math.pow(n, -0.2);
  const norm = 1 / (n * h * Math.sqrt(2 * Math.PI));
  return grid.map((x) => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const z = (x - values[i]) / h;
      s += Math.exp(-0.5 * z * z);
    }
    return s * norm;
  });
}

function histogramPlot(study: StudyResult): string {
  const names = Object.keys(study.base);
  let lo = Infinity, hi = -Infinity;
  for (const n of names) for (const v of study.base[n].paths.pnl) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  const bins = 40, width = (hi - lo) / bins;
  const series = names.map((n) => {
    const pnl = study.base[n].paths.pnl;
    const counts = new Array(bins).fill(0);
    for (const v of pnl) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
    const density = counts.map((c) => c / (pnl.length * width));
    const grid = Array.from({ length: 121 }, (_, i) => lo + ((hi - lo) * i) / 120);
    return { density, grid, k: kde(pnl, grid) };
  });
  const yMax = Math.max(...series.flatMap((s) => [...s.density, ...s.k])) * 1.05;
  return frame('pnl-histogram', 'Terminal PnL: histogram and kernel density', 'terminal PnL', 'density', lo, hi, 0, yMax, (s) => series.map((ser, i) => {
    const c = COLOURS[i % COLOURS.length];
    const bars = ser.density.map((d, b) => d > 0 ? `<rect class="mark" x="${s.x(lo + b * width).toFixed(2)}" y="${s.y(d).toFixed(2)}" width="${Math.max(0.5, s.x(lo + (b + 1) * width) - s.x(lo + b * width)).toFixed(2)}" height="${(s.y(0) - s.y(d)).toFixed(2)}" fill="${c}" fill-opacity="0.3"/>` : '').join('');
    return bars + polyline(ser.grid.map((x, j) => [s.x(x), s.y(ser.k[j])]), c);
  }).join(''), names);
}

function inventoryPlot(study: StudyResult): string {
  const names = Object.keys(study.base);
  const values = new Set<number>();
  for (const n of names) for (const v of study.base[n].metrics.inventoryDistribution.values) values.add(v);
  const xs = [...values].sort((a, b) => a - b);
  const lo = xs[0] - 0.5, hi = xs[xs.length - 1] + 0.5;
  const shares = names.map((n) => {
    const d = study.base[n].metrics.inventoryDistribution;
    const total = d.counts.reduce((a, b) => a + b, 0);
    return new Map(d.values.map((v, i) => [v, d.counts[i] / total]));
  });
  const yMax = Math.max(...shares.flatMap((m) => [...m.values()])) * 1.05;
  const bw = 0.8 / names.length;
  return frame('inventory', 'Terminal inventory distribution', 'terminal inventory', 'share of paths', lo, hi, 0, yMax, (s) => shares.map((m, i) =>
    [...m.entries()].map(([v, share]) => {
      const x = v - 0.4 + i * bw;
      return `<rect class="mark" x="${s.x(x).toFixed(2)}" y="${s.y(share).toFixed(2)}" width="${Math.max(0.5, s.x(x + bw) - s.x(x)).toFixed(2)}" height="${(s.y(0) - s.y(share)).toFixed(2)}" fill="${COLOURS[i % COLOURS.length]}"/>`;
    }).join('')).join(''), names);
}

function pnlTimePlot(study: StudyResult): string {
  const names = Object.keys(study.base);
  const curves = names.map((n) => study.base[n].pnlOverTime);
  const t1 = Math.max(...curves.map((c) => c.time[c.time.length - 1]));
  const y0 = Math.min(...curves.flatMap((c) => Array.from(c.lower)));
  const y1 = Math.max(...curves.flatMap((c) => Array.from(c.upper)));
  return frame('pnl-time', 'Mean PnL over time with the 95 % band of paths', 'time (s)', 'PnL', 0, t1, y0, y1, (s) => curves.map((c, i) => {
    const col = COLOURS[i % COLOURS.length];
    const upper = Array.from(c.time, (t, j) => `${s.x(t).toFixed(2)},${s.y(c.upper[j]).toFixed(2)}`);
    const lower = Array.from(c.time, (t, j) => `${s.x(t).toFixed(2)},${s.y(c.lower[j]).toFixed(2)}`).reverse();
    return `<polygon class="mark" points="${[...upper, ...lower].join(' ')}" fill="${col}" fill-opacity="0.15" stroke="none"/>` +
      polyline(Array.from(c.time, (t, j) => [s.x(t), s.y(c.mean[j])]), col);
  }).join(''), names);
}

function sharpeFeePlot(study: StudyResult): string {
  const names = Object.keys(study.fees);
  const fees = study.feeSweep.map((f) => f * 100);
  const sharpe = names.map((n) => study.fees[n].map((r) => r.metrics.sharpe));
  const all = sharpe.flat().filter(Number.isFinite);
  const y0 = Math.min(0, ...all), y1 = Math.max(0, ...all);
  return frame('sharpe-fee', 'Sharpe ratio (mean / std of terminal PnL) against fee', 'fee (%)', 'Sharpe', Math.min(...fees), Math.max(...fees), y0, y1, (s) => sharpe.map((ys, i) => {
    const col = COLOURS[i % COLOURS.length];
    const pts: [number, number][] = fees.map((f, j) => [s.x(f), s.y(Number.isFinite(ys[j]) ? ys[j] : 0)]);
    return polyline(pts, col) + pts.map(([x, y]) => `<circle class="mark" cx="${x.toFixed(2)}" cy="${y.toFixed(2)}" r="3.5" fill="${col}"/>`).join('');
  }).join(''), names);
}

function metricsTable(study: StudyResult): string {
  const head = ['strategy', 'study', 'noise var', 'fee %', 'mean', 'std', 'p1', 'p5', 'p50', 'p95', 'p99', 'Sharpe', 'skew', 'ex. kurt', 'JB', 'JB p', 'MAP', 'mean/MAP', 'trades'];
  const cells = (m: BacktestMetrics) => [m.mean, m.std, m.percentiles.p1, m.percentiles.p5, m.percentiles.p50, m.percentiles.p95, m.percentiles.p99, m.sharpe, m.skew, m.kurtosis, m.jarqueBera.statistic, m.jarqueBera.pValue, m.map, m.meanPnlOverMap, m.meanTrades].map((v) => `<td>${fmt(v)}</td>`).join('');
  const rows = study.rows.map((r) => `<tr><td>${esc(r.strategy)}</td><td>${r.study}</td><td>${fmt(r.noiseVariance)}</td><td>${fmt(r.fee.maker * 100)}</td>${cells(r.metrics)}</tr>`).join('\n');
  return `<table data-plot="metrics"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

export interface ReportOptions {
  title?: string;
  /** Lines shown under the title (the config, the machine, the run time). */
  notes?: string[];
}

/** A self-contained HTML page: the shared style, the title, the notes, then `body`. */
export function htmlPage(title: string, notes: string[], body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body { font-family: sans-serif; margin: 24px; color: #222; }
figure { display: inline-block; margin: 8px; }
table { border-collapse: collapse; font-size: 12px; margin-top: 16px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; }
th { background: #f3f3f3; }
td:first-child, td:nth-child(2) { text-align: left; }
.note { color: #555; font-size: 12px; margin: 2px 0; }
</style></head><body>
<h1>${esc(title)}</h1>
${notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}
${body}
</body></html>
`;
}

/** The study as one self-contained HTML document. */
export function renderReport(study: StudyResult, options: ReportOptions = {}): string {
  return htmlPage(options.title ?? 'hawkgraph market-making backtest', options.notes ?? [], `${histogramPlot(study)}
${inventoryPlot(study)}
${pnlTimePlot(study)}
${sharpeFeePlot(study)}
<h2>Metrics</h2>
${metricsTable(study)}`);
}
