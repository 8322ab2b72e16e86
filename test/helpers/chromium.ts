/**
 * Headless Chromium (Debian's, which .ci/run installs) for the HTML report tests: renders a page
 * and reports, for every svg[data-plot], how many of its .mark elements drew a box, and its size.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);

export interface PlotCheck {
  total: number;
  drawn: number;
  width: number;
  height: number;
}

/**
 * Renders `html` from a file in `dir` and returns each plot's PlotCheck by its data-plot name,
 * plus `rowsKey`: the body row count of table[data-plot=table].
 */
export function renderPlots(html: string, dir: string, table: string, rowsKey: string): Record<string, PlotCheck> & Record<string, number> {
  const probe = `<script>
const out = {};
for (const svg of document.querySelectorAll('svg[data-plot]')) {
  let total = 0, drawn = 0;
  for (const el of svg.querySelectorAll('.mark')) {
    total++;
    const b = el.getBBox();
    if (Number.isFinite(b.x) && Number.isFinite(b.y) && (b.width > 0 || b.height > 0)) drawn++;
  }
  const r = svg.getBoundingClientRect();
  out[svg.dataset.plot] = { total, drawn, width: r.width, height: r.height };
}
out[${JSON.stringify(rowsKey)}] = document.querySelector(${JSON.stringify(`table[data-plot="${table}"]`)}).tBodies[0].rows.length;
const pre = document.createElement('pre');
pre.id = 'hg-check';
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script></body>`;
  const file = path.join(dir, 'probe.html');
  fs.writeFileSync(file, html.replace('</body>', probe));
  const dom = execFileSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', `--user-data-dir=${path.join(dir, 'profile')}`, '--dump-dom', `file://${file}`], {
    encoding: 'utf8', timeout: 50_000, stdio: ['ignore', 'pipe', 'ignore'],
  });
  const m = dom.match(/<pre id="hg-check">([^<]*)<\/pre>/);
  expect(m).not.toBeNull();
  return JSON.parse(m![1].replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
}
