"""An evaluation (evaluate.py's report) as one self-contained HTML file and as Markdown: the scores with their
intervals, the GNN's margins over every baseline, and the reliability plot as inline SVG.

The plot follows the package's HTML reports (lib/report/html.ts): no scripts, fonts or external resources, every
drawn mark has class "mark" and the plot data-plot="reliability".
"""
import html

COLOURS = {"down": "#d62728", "flat": "#7f7f7f", "up": "#2ca02c"}
W, H = 480, 400
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 44


def reliability_svg(table, min_books=200):
    """Predicted probability (bin mean) against the observed frequency, per class, for bins with >= min_books
    books; each point with its 95 % binomial interval; the diagonal is perfect calibration."""
    px = lambda v: LEFT + v * (W - LEFT - RIGHT)
    py = lambda v: H - BOTTOM - v * (H - TOP - BOTTOM)
    parts = [f'<svg data-plot="reliability" viewBox="0 0 {W} {H}" width="{W}" height="{H}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">',
             f'<text x="{W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">Reliability of the GNN on held-out books</text>']
    for t in (0, 0.2, 0.4, 0.6, 0.8, 1.0):
        parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#ddd"/>'
                     f'<text x="{LEFT - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{t:g}</text>'
                     f'<text x="{px(t):.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{t:g}</text>')
    parts.append(f'<line x1="{px(0)}" y1="{py(0)}" x2="{px(1)}" y2="{py(1)}" stroke="#444" stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 8}" text-anchor="middle">predicted probability (mean over the bin)</text>'
                 f'<text transform="translate(14 {(TOP + H - BOTTOM) / 2}) rotate(-90)" text-anchor="middle">observed frequency</text>')
    for k, name in enumerate(COLOURS):
        rows = [r for r in table if r["class"] == name and r["books"] >= min_books]
        colour = COLOURS[name]
        if rows:
            d = "".join(f'{"L" if i else "M"}{px(r["predicted"]):.2f},{py(r["observed"]):.2f}' for i, r in enumerate(rows))
            parts.append(f'<path class="mark" d="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for r in rows:
            lo, hi = r["observed_ci95"]
            parts.append(f'<line class="mark" x1="{px(r["predicted"]):.2f}" x2="{px(r["predicted"]):.2f}" y1="{py(lo):.2f}" y2="{py(hi):.2f}" stroke="{colour}"/>'
                         f'<circle class="mark" cx="{px(r["predicted"]):.2f}" cy="{py(r["observed"]):.2f}" r="3" fill="{colour}"><title>{name}: {r["books"]} books, predicted {r["predicted"]:.3f}, observed {r["observed"]:.3f}</title></circle>')
        parts.append(f'<rect x="{LEFT + 10}" y="{TOP + 4 + 16 * k}" width="10" height="10" fill="{colour}"/><text x="{LEFT + 25}" y="{TOP + 13 + 16 * k}">{name}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _ci(s, digits=4, sign=False):
    f = f"{{:{'+' if sign else ''}.{digits}f}}"
    return f"{f.format(s['mean'])} [{f.format(s['ci95'][0])}, {f.format(s['ci95'][1])}]"


def score_rows(report):
    return [(name, _ci(s["accuracy"]), _ci(s["log_loss"]), _ci(s["brier"])) for name, s in report["scores"].items()]


def margin_rows(report):
    return [(name, _ci(m["accuracy"], sign=True), _ci(m["log_loss"], sign=True), _ci(m["brier"], sign=True)) for name, m in report["margins"].items()]


def markdown(report):
    """The scores and margins as Markdown tables (for docs/train-gnn.md)."""
    out = ["| model | accuracy | log-loss | Brier |", "| --- | --- | --- | --- |"]
    out += [f"| {' | '.join(r)} |" for r in score_rows(report)]
    out += ["", "| GNN minus | accuracy | log-loss | Brier |", "| --- | --- | --- | --- |"]
    out += [f"| {' | '.join(r)} |" for r in margin_rows(report)]
    return "\n".join(out)


def _table(head, rows):
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    trs = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


def html_page(report, command=None):
    notes = [f"{report['test_books']} held-out books (class shares down / flat / up "
             f"{' / '.join(f'{v:.3f}' for v in report['class_shares_test'])}); baselines trained on {report['train_books']} books.",
             "Means with 95 % block-bootstrap intervals (blocks of 500 consecutive books; margins paired on the same books)."]
    if command:
        notes.append(f"Made by: {command}")
    body = [f"<p>{html.escape(n)}</p>" for n in notes]
    body.append("<h2>Scores</h2>" + _table(["model", "accuracy", "log-loss", "Brier"], score_rows(report)))
    body.append("<h2>GNN minus each baseline</h2><p>Negative log-loss and Brier, positive accuracy: the GNN is better.</p>"
                + _table(["baseline", "accuracy", "log-loss", "Brier"], margin_rows(report)))
    body.append("<h2>Reliability</h2><p>Bins of 0.1 in predicted probability with at least 200 books; bars: 95 % binomial (Wilson) intervals.</p>"
                f"<figure>{reliability_svg(report['reliability'])}</figure>")
    if "fp16" in report:
        f = report["fp16"]
        body.append("<h2>Half precision (emulated)</h2>" + _table(["path", "max |logit difference| to float64", "same direction (top-two margin > 0.05)"],
                    [(k, f"{v['max_logit_diff']:.2e}", f"{v['same_direction']:.4f}") for k, v in f.items() if isinstance(v, dict)]))
    style = "body{font-family:sans-serif;max-width:900px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
    return f"<!doctype html><html><head><meta charset=\"utf-8\"><title>GNN evaluation</title><style>{style}</style></head><body><h1>GNN evaluation</h1>{''.join(body)}</body></html>\n"
