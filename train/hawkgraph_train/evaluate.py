"""A trained GNN against baselines trained on the same books, scored on held-out books.

  python3 -m hawkgraph_train.evaluate --model model.safetensors --train train.arrows --test held-out.arrows --out eval.json

Baselines (PyTorch, full-batch or minibatch, the same labels): the majority class of the training books;
multinomial logistic regression on the order-book imbalance of the top level and of the top five levels; an MLP
(2 x 128, ReLU) on the flattened 2L x 8 node features; an LSTM (64 units) over the last --sequence snapshots of the
same path (at most 50,000 training sequences). Scores on the test books: accuracy, log-loss and Brier score, each with a 95 % bootstrap interval
(resampling contiguous blocks of 500 books, as neighbouring books are not independent), the GNN's margin over
every baseline (paired on the same books) with its interval, the GNN's reliability table (predicted probability
bins against observed frequencies with Wilson intervals, per class) and the error of an emulated fp16 forward pass
(precision.py). --html writes the report with the reliability plot (report.py), --svg the plot alone.
"""
import argparse
import json
import math
import shlex
import sys

import numpy as np
import torch
import torch.nn.functional as F

from .data import full_books, node_features, read_books
from .model import batched_edges, level_edges
from .precision import compare
from .predict import load_model, read_metadata
from .report import html_page, markdown, reliability_svg


def labelled(books, levels):
    rows = full_books(books, levels)
    return rows[books["direction"][rows] >= 0]


def imbalance(books, rows, k):
    b = books["bid_sz"][rows, :k].sum(1)
    a = books["ask_sz"][rows, :k].sum(1)
    return ((b - a) / (b + a + 1e-12))[:, None]


def fit_classifier(model, x, y, epochs, lr=1e-2, batch=4096, seed=0):
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    xt, yt = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y)
    for _ in range(epochs):
        perm = torch.randperm(len(xt))
        for s in range(0, len(xt), batch):
            b = perm[s : s + batch]
            loss = F.cross_entropy(model(xt[b]), yt[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    return model


def predict_probs(model, x, batch=8192):
    with torch.no_grad():
        xt = torch.as_tensor(x, dtype=torch.float32)
        return torch.cat([F.softmax(model(xt[s : s + batch]), 1) for s in range(0, len(xt), batch)]).numpy().astype(np.float64)


class Lstm(torch.nn.Module):
    def __init__(self, features, hidden=64):
        super().__init__()
        self.lstm = torch.nn.LSTM(features, hidden, batch_first=True)
        self.out = torch.nn.Linear(hidden, 3)

    def forward(self, x):
        h, _ = self.lstm(x)
        return self.out(h[:, -1])


def sequences(flat, books, rows, n):
    """For each row, the flattened features of the n books of its path up to it (rows whose path has fewer are dropped)."""
    path = books["path"][rows] if "path" in books else np.zeros(len(rows), dtype=np.int64)
    keep, seqs = [], []
    for i in range(len(rows)):
        if i >= n - 1 and path[i - n + 1] == path[i] and rows[i] - rows[i - n + 1] == n - 1:
            keep.append(i)
    keep = np.array(keep, dtype=np.int64)
    idx = keep[:, None] + np.arange(-n + 1, 1)[None, :]
    return flat[idx], keep


def scores(probs, y):
    p = np.clip(probs, 1e-12, 1)
    onehot = np.eye(3)[y]
    return {
        "accuracy": (probs.argmax(1) == y).astype(np.float64),
        "log_loss": -np.log(p[np.arange(len(y)), y]),
        "brier": ((probs - onehot) ** 2).sum(1),
    }


def with_intervals(per_book, rng, block=500, draws=1000):
    n = len(next(iter(per_book.values())))
    starts = np.arange(0, n, block)
    out = {}
    for k, v in per_book.items():
        means = np.array([v[s : s + block].mean() for s in starts])
        sizes = np.array([len(v[s : s + block]) for s in starts])
        boot = []
        for _ in range(draws):
            pick = rng.integers(0, len(starts), len(starts))
            boot.append((means[pick] * sizes[pick]).sum() / sizes[pick].sum())
        out[k] = {"mean": float(v.mean()), "ci95": [float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))]}
    return out


def margin(gnn, base, rng, block=500, draws=1000):
    """The GNN's score minus the baseline's, on the same books, with a paired block-bootstrap interval."""
    out = {}
    for k in gnn:
        d = gnn[k] - base[k]
        out[k] = with_intervals({k: d}, rng, block, draws)[k]
    return out


def wilson(k, n, z=1.96):
    """The Wilson score interval of a binomial proportion k / n."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [centre - half, centre + half]


def reliability(probs, y, bins=10):
    table = []
    for c, name in enumerate(["down", "flat", "up"]):
        edges = np.linspace(0, 1, bins + 1)
        which = np.clip(np.digitize(probs[:, c], edges) - 1, 0, bins - 1)
        for b in range(bins):
            m = which == b
            if m.sum() == 0:
                continue
            table.append({"class": name, "bin": [float(edges[b]), float(edges[b + 1])], "books": int(m.sum()),
                          "predicted": float(probs[m, c].mean()), "observed": float((y[m] == c).mean()),
                          "observed_ci95": wilson(int((y[m] == c).sum()), int(m.sum()))})
    return table


def main(argv=None):
    p = argparse.ArgumentParser(prog="hawkgraph_train.evaluate")
    p.add_argument("--model", required=True)
    p.add_argument("--train", required=True)
    p.add_argument("--test", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--sequence", type=int, default=10)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--max-train", type=int, default=200000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--html", default=None, help="write the report as HTML with the reliability plot")
    p.add_argument("--svg", default=None, help="write the reliability plot alone")
    p.add_argument("--markdown", default=None, help="write the score and margin tables as Markdown")
    a = p.parse_args(argv)
    command = "python3 -m hawkgraph_train.evaluate " + " ".join(shlex.quote(v) for v in (sys.argv[1:] if argv is None else argv))
    rng = np.random.default_rng(a.seed)
    gnn, levels = load_model(a.model)
    train, test = read_books(a.train), read_books(a.test)
    tr, te = labelled(train, levels)[: a.max_train], labelled(test, levels)
    ytr, yte = train["direction"][tr].astype(np.int64), test["direction"][te].astype(np.int64)
    xtr = node_features(train, levels, tr).reshape(len(tr), -1)
    xte = node_features(test, levels, te).reshape(len(te), -1)
    mu, sd = xtr.mean(0), xtr.std(0) + 1e-9
    ztr, zte = (xtr - mu) / sd, (xte - mu) / sd

    probs = {}
    prior = np.bincount(ytr, minlength=3) / len(ytr)
    probs["majority class"] = np.tile(prior, (len(te), 1))
    for k in (1, 5):
        lr = fit_classifier(torch.nn.Linear(1, 3), imbalance(train, tr, k), ytr, a.epochs * 4, lr=5e-2)
        probs[f"logistic regression, imbalance top {k}"] = predict_probs(lr, imbalance(test, te, k))
    mlp = torch.nn.Sequential(torch.nn.Linear(ztr.shape[1], 128), torch.nn.ReLU(), torch.nn.Linear(128, 128), torch.nn.ReLU(), torch.nn.Linear(128, 3))
    probs["MLP on the flattened features"] = predict_probs(fit_classifier(mlp, ztr, ytr, a.epochs, lr=1e-3), zte)
    # The LSTM's inputs are sequence x flattened features a book: at most 50,000 training sequences (2.5 GB at 200k).
    str_, keep_tr = sequences(ztr[:50000].astype(np.float32), train, tr[:50000], a.sequence)
    ste, keep_te = sequences(zte.astype(np.float32), test, te, a.sequence)
    lstm = fit_classifier(Lstm(ztr.shape[1]), str_, ytr[keep_tr], a.epochs, lr=1e-3, batch=1024)
    lstm_probs = np.tile(prior, (len(te), 1))  # books without a full history fall back to the prior
    lstm_probs[keep_te] = predict_probs(lstm, ste, batch=2048)
    probs[f"LSTM over the last {a.sequence} snapshots"] = lstm_probs
    x = torch.as_tensor(node_features(test, levels, te), dtype=torch.float64)
    with torch.no_grad():
        outs = []
        for s in range(0, len(te), 2048):
            xb = x[s : s + 2048]
            o = gnn(xb.reshape(-1, xb.shape[-1]), batched_edges(level_edges(levels), len(xb), 2 * levels), num_graphs=len(xb))
            outs.append(F.softmax(o["direction"], 1))
        probs["GNN (this model)"] = torch.cat(outs).numpy()
    meta = read_metadata(a.model)
    st = json.loads(meta["input_standardisation"]) if "input_standardisation" in meta else {"mean": None, "std": None}
    xb = x[:4096]
    fp16 = compare(gnn, xb.reshape(-1, xb.shape[-1]), batched_edges(level_edges(levels), len(xb), 2 * levels), len(xb), st["mean"], st["std"])

    per = {name: scores(pr, yte) for name, pr in probs.items()}
    report = {"test_books": int(len(te)), "train_books": int(len(tr)), "class_shares_test": (np.bincount(yte, minlength=3) / len(yte)).tolist(),
              "scores": {name: with_intervals(s, rng) for name, s in per.items()}}
    baselines = [n for n in per if n != "GNN (this model)"]
    best = min((n for n in baselines if n != "majority class"), key=lambda n: report["scores"][n]["log_loss"]["mean"])
    report["best_baseline"] = best
    report["margins"] = {n: margin(per["GNN (this model)"], per[n], rng) for n in baselines}
    report["gnn_minus_best_baseline"] = report["margins"][best]
    report["reliability"] = reliability(probs["GNN (this model)"], yte)
    report["fp16"] = {**fp16, "books": int(len(xb))}
    report["command"] = command
    with open(a.out, "w") as f:
        json.dump(report, f, indent=1)
    if a.html:
        with open(a.html, "w") as f:
            f.write(html_page(report, command))
    if a.svg:
        with open(a.svg, "w") as f:
            f.write(reliability_svg(report["reliability"]) + "\n")
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write(markdown(report) + "\n")
    for name, s in report["scores"].items():
        print(f"{name:45s} accuracy {s['accuracy']['mean']:.4f}  log-loss {s['log_loss']['mean']:.4f}  Brier {s['brier']['mean']:.4f}")
    for name, m in report["margins"].items():
        print(f"GNN - {name}: accuracy {m['accuracy']['mean']:+.4f} {m['accuracy']['ci95']}, log-loss {m['log_loss']['mean']:+.4f} {m['log_loss']['ci95']}")
    print("fp16 (emulated):", json.dumps(fp16))


if __name__ == "__main__":
    main()
