/**
 * A Hawkes fit as one self-contained HTML file (`npx hawkgraph fit events.csv --report fit.html`):
 * a QQ plot of each type's time-rescaling residuals against Exp(1) with its 95 % Kolmogorov-Smirnov
 * band, the fitted alpha and branching (alpha / beta) matrices as heat maps, and a table of mu, the
 * events against the compensator, and the KS statistics and p-values. Same conventions as the
 * backtest report (html.ts, whose frame and helpers it uses): no scripts or external resources,
 * every drawn mark has class "mark" and each plot data-plot="<name>" (qq-<type>, alpha, branching).
 */
import type { HawkesGoodnessOfFit } from '../hawkes/gof';
import { COLOURS, esc, fmt, frame, htmlPage, polyline, type ReportOptions } from './html';

/** What the report shows of a fit: HawkesProcess.fit's result (the certificate fields when it has them). */
export interface FitReportFit {
  params: { mu: ArrayLike<number>; alpha: ArrayLike<number>[]; beta: ArrayLike<number>[] };
  stdErr?: { mu: ArrayLike<number>; alpha?: ArrayLike<number>[] };
  logLikelihood: number;
  iterations?: number;
  converged?: boolean;
}

export interface FitReportInput {
  fit: FitReportFit;
  /** goodnessOfFit of the fitted parameters on the same events. */
  goodness: HawkesGoodnessOfFit;
  /** Spectral radius of alpha / beta. */
  branchingRatio: number;
  /** A name per type (default: the type index). */
  typeNames?: string[];
}

/** Stephens' (1970) approximation to the 5 % critical value of D_n, for the plotted band only. */
function ksCritical95(n: number): number {
  const s = Math.sqrt(n);
  return 1.3581 / (s + 0.12 + 0.11 / s);
}

function qqPlot(k: number, name: string, input: FitReportInput): string {
  const t = input.goodness.types[k];
  const { theoretical, empirical } = t.qq;
  let top = 1;
  for (let j = 0; j < theoretical.length; j++) top = Math.max(top, theoretical[j], empirical[j]);
  top *= 1.05;
  const title = t.events > 0 ? `${name}: residual QQ plot against Exp(1), KS p = ${fmt(t.ks.pValue, 3)}` : `${name}: no events in the window`;
  return frame(`qq-${k}`, title, 'Exp(1) quantile', 'residual quantile', 0, top, 0, top, (s) => {
    let band = '';
    if (t.events > 0) {
      // Where the empirical CDF may stray from F(x) = 1 - exp(-x) by the 5 % critical distance.
      const d = ksCritical95(t.events), upper: string[] = [], lower: string[] = [];
      for (let i = 0; i <= 100; i++) {
        const p = (i + 0.5) / 101, x = -Math.log1p(-p);
        if (x > top) break;
        upper.push(`${s.x(x).toFixed(2)},${s.y(Math.min(top, -Math.log1p(-Math.min(p + d, 1 - 1e-12)))).toFixed(2)}`);
        lower.push(`${s.x(x).toFixed(2)},${s.y(-Math.log1p(-Math.max(p - d, 0))).toFixed(2)}`);
      }
      band = `<polygon class="mark" points="${[...upper, ...lower.reverse()].join(' ')}" fill="${COLOURS[0]}" fill-opacity="0.12" stroke="none"/>`;
    }
    const diagonal = polyline([[s.x(0), s.y(0)], [s.x(top), s.y(top)]], '#888', 'stroke-dasharray="4 3"');
    const colour = t.ks.pValue < 0.05 ? COLOURS[1] : COLOURS[0];
    const points = Array.from(theoretical, (x, j) => `<circle class="mark" cx="${s.x(x).toFixed(2)}" cy="${s.y(empirical[j]).toFixed(2)}" r="2.5" fill="${colour}"/>`).join('');
    return band + diagonal + points;
  });
}

/** A white-to-blue colour for v in [0, 1]. */
function shade(v: number): string {
  const u = Math.max(0, Math.min(1, Number.isFinite(v) ? v : 0));
  const c = (a: number, b: number) => Math.round(a + (b - a) * u);
  return `rgb(${c(255, 8)},${c(255, 69)},${c(255, 148)})`;
}

/** A D x D matrix as a heat map: rows are the excited types, columns the exciting ones. */
function heatMap(plot: string, title: string, m: ArrayLike<number>[], names: string[]): string {
  const D = m.length;
  const cell = Math.max(10, Math.min(48, Math.floor(480 / D)));
  const left = 70, top = 48, size = cell * D;
  const width = left + size + 110, height = top + size + 40;
  let max = 0;
  for (const row of m) for (let l = 0; l < D; l++) if (Number.isFinite(row[l])) max = Math.max(max, row[l]);
  const label = D <= 16;
  const cells: string[] = [];
  for (let k = 0; k < D; k++) {
    for (let l = 0; l < D; l++) {
      const v = m[k][l], u = max > 0 ? v / max : 0;
      cells.push(`<rect class="mark" x="${left + l * cell}" y="${top + k * cell}" width="${cell}" height="${cell}" fill="${shade(u)}" stroke="#fff"><title>${esc(`${names[k]} <- ${names[l]}: ${fmt(v)}`)}</title></rect>`);
      if (label && cell >= 28) cells.push(`<text x="${left + (l + 0.5) * cell}" y="${top + (k + 0.5) * cell + 4}" text-anchor="middle" fill="${u > 0.55 ? '#fff' : '#222'}" font-size="${cell >= 40 ? 10 : 8}">${fmt(v, 2)}</text>`);
    }
  }
  const axis = label
    ? names.map((n, i) => `<text x="${left - 6}" y="${top + (i + 0.5) * cell + 4}" text-anchor="end">${esc(n)}</text>` +
      `<text x="${left + (i + 0.5) * cell}" y="${top - 6}" text-anchor="middle">${esc(n)}</text>`).join('')
    : '';
  const steps = 8, barX = left + size + 24, barH = size / steps;
  const bar = Array.from({ length: steps }, (_, i) => `<rect x="${barX}" y="${top + i * barH}" width="14" height="${barH}" fill="${shade(1 - i / (steps - 1))}"/>`).join('') +
    `<text x="${barX + 18}" y="${top + 8}">${fmt(max, 3)}</text><text x="${barX + 18}" y="${top + size}">0</text>`;
  return `<figure><svg data-plot="${plot}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">
<text x="${width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>
<text x="${left + size / 2}" y="32" text-anchor="middle" fill="#555">exciting type (column) -> excited type (row)</text>
${axis}${cells.join('')}${bar}</svg></figure>`;
}

function typesTable(input: FitReportInput, names: string[]): string {
  const { fit, goodness } = input;
  const head = ['type', 'events', 'mu', 'mu s.e.', 'compensator', 'KS D', 'KS p-value'];
  const rows = goodness.types.map((t, k) => {
    const se = fit.stdErr?.mu[k];
    return `<tr><td>${esc(names[k])}</td><td>${t.events}</td><td>${fmt(fit.params.mu[k])}</td><td>${se === undefined ? '' : fmt(se)}</td>` +
      `<td>${fmt(t.compensator)}</td><td>${fmt(t.ks.statistic)}</td><td>${fmt(t.ks.pValue)}</td></tr>`;
  });
  const o = goodness.overall;
  let events = 0, comp = 0;
  for (const t of goodness.types) {
    events += t.events;
    comp += t.compensator;
  }
  rows.push(`<tr><td>all (pooled)</td><td>${events}</td><td></td><td></td><td>${fmt(comp)}</td><td>${fmt(o.statistic)}</td><td>${fmt(o.pValue)}</td></tr>`);
  return `<table data-plot="types"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function betaNote(beta: ArrayLike<number>[]): string {
  const first = beta[0][0];
  let same = true, perRow = true;
  for (const row of beta) {
    for (let l = 0; l < row.length; l++) {
      if (row[l] !== first) same = false;
      if (row[l] !== row[0]) perRow = false;
    }
  }
  if (same) return `beta = ${fmt(first)} for every kernel`;
  if (perRow) return `beta per excited type: ${beta.map((r) => fmt(r[0])).join(', ')}`;
  return `beta: ${beta.map((r) => `[${Array.from(r, (v) => fmt(v)).join(', ')}]`).join(' ')}`;
}

/** The fit and its goodness of fit as one self-contained HTML document. */
export function renderFitReport(input: FitReportInput, options: ReportOptions = {}): string {
  const { fit, goodness } = input;
  const D = fit.params.mu.length;
  const names = input.typeNames ?? Array.from({ length: D }, (_, k) => `type ${k}`);
  const branching = fit.params.alpha.map((row, k) => Array.from(row, (a, l) => a / fit.params.beta[k][l]));
  const status = fit.converged === undefined ? '' : fit.converged ? ', converged' : ', NOT converged';
  const summary = [
    `window [${goodness.startTime}, ${goodness.endTime}], ${goodness.overall.n} events, ${D} types`,
    `log-likelihood ${fmt(fit.logLikelihood, 10)}${fit.iterations === undefined ? '' : `, ${fit.iterations} iterations`}${status}; ` +
      `branching ratio (spectral radius of alpha / beta) ${fmt(input.branchingRatio)}${input.branchingRatio >= 1 ? ' (explosive)' : ''}; ${betaNote(fit.params.beta)}`,
    'Residuals: the compensator between consecutive events of a type, i.i.d. Exp(1) if the model is right. The KS p-values treat the ' +
      'parameters as given; fitted to these same events they are conservative (too large), so a small p-value is real evidence of misfit ' +
      'and a large one is weaker evidence of fit than it looks. Points outside the shaded 95 % band are where the test would reject.',
  ];
  const body = `${goodness.types.map((_, k) => qqPlot(k, names[k], input)).join('\n')}
<h2>Fitted matrices</h2>
${heatMap('alpha', 'alpha: jump of the excited intensity', fit.params.alpha, names)}
${heatMap('branching', 'alpha / beta: mean children per event', branching, names)}
<h2>Per type</h2>
${typesTable(input, names)}`;
  return htmlPage(options.title ?? 'hawkgraph Hawkes fit', [...(options.notes ?? []), ...summary], body);
}
