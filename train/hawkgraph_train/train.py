"""Trains OrderBookGNN on labelled book datasets and exports it for the engine.

  python3 -m hawkgraph_train.train --data train.arrows --out model.safetensors [--epochs 20 --hidden 128 ...]

Books with the model's levels on both sides are used (the graphs of a batch share a size); a share of them
(--val-fraction, by contiguous blocks so neighbouring books do not straddle the split) is held out for early
stopping. Loss: cross-entropy on the direction, binary cross-entropy on the magnitude (a sigmoid in [0, 1)),
mean squared error on the volatility (a relu >= 0), weighted by --weights. AdamW with OneCycleLR (the seed's);
mixed precision where a CUDA device is used. The node features are standardised with the training books' mean
and std while training (and the noise is added to the standardised features); the export folds that standardisation
into conv1's weights (model.fold_standardisation), so the file reads the engine's raw features. The feature
statistics of the training books (per node feature: mean, std and deciles) go into the file's metadata for drift
monitoring.
"""
import argparse
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from .data import feature_stats, full_books, node_features, read_books, standardisation
from .export import export
from .model import OrderBookGNN, batched_edges, fold_standardisation, level_edges, _PygSAGEConv


def parse(argv):
    p = argparse.ArgumentParser(prog="hawkgraph_train.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", action="append", required=True, help="a labelled dataset file (repeat for several)")
    p.add_argument("--out", required=True, help="the safetensors file to write")
    p.add_argument("--levels", type=int, default=None, help="levels a side (default: the dataset's)")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--attention", choices=["pooled", "levels"], default="pooled")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=3e-3, help="OneCycleLR's peak")
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--noise", type=float, default=0.01, help="std of the Gaussian noise on node features while training")
    p.add_argument("--weights", type=float, nargs=3, default=[1.0, 1.0, 0.1], metavar=("DIR", "MAG", "VOL"))
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--patience", type=int, default=3, help="epochs without a better validation loss before stopping")
    p.add_argument("--max-books", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--name", default=None, help="the model's name in its metadata")
    p.add_argument("--no-pyg", action="store_true", help="use the pure-PyTorch SAGE layer even where PyG is installed")
    return p.parse_args(argv)


def load(paths, levels, max_books):
    xs, ys = [], {"direction": [], "magnitude": [], "volatility": []}
    meta = None
    for path in paths:
        books = read_books(path)
        if "direction" not in books:
            raise SystemExit(f"{path} has no labels (label it with DepthModel or labelBooks first)")
        L = levels or books["levels"]
        rows = full_books(books, L)
        rows = rows[books["direction"][rows] >= 0]  # labelled rows only
        xs.append(node_features(books, L, rows))
        for k in ys:
            ys[k].append(books[k][rows])
        meta = meta or books["metadata"]
        levels = L
    x = np.concatenate(xs)
    y = {k: np.concatenate(v) for k, v in ys.items()}
    if max_books is not None:
        x, y = x[:max_books], {k: v[:max_books] for k, v in y.items()}
    return x, y, levels, meta


def split(n, fraction, seed):
    """Contiguous blocks of 1000 books, a `fraction` of them held out."""
    blocks = np.arange(0, n, 1000)
    rng = np.random.default_rng(seed)
    held = set(rng.choice(len(blocks), max(1, int(round(fraction * len(blocks)))), replace=False).tolist()) if fraction > 0 else set()
    val = np.concatenate([np.arange(b, min(n, b + 1000)) for i, b in enumerate(blocks) if i in held]) if held else np.array([], dtype=int)
    train = np.setdiff1d(np.arange(n), val)
    return train, val


def losses(out, y, weights):
    ce = F.cross_entropy(out["direction"].float(), y["direction"])
    bce = F.binary_cross_entropy(out["magnitude"].float().clamp(1e-6, 1 - 1e-6), y["magnitude"])
    mse = F.mse_loss(out["volatility"].float(), y["volatility"])
    return weights[0] * ce + weights[1] * bce + weights[2] * mse, ce


def evaluate(model, x, y, idx, edges, nodes, batch, device, weights):
    model.eval()
    total, ce_total, correct = 0.0, 0.0, 0
    with torch.no_grad():
        for s in range(0, len(idx), batch):
            b = idx[s : s + batch]
            xb = torch.as_tensor(x[b], dtype=torch.float32, device=device).reshape(-1, x.shape[-1])
            yb = {k: torch.as_tensor(v[b], device=device) for k, v in y.items()}
            out = model(xb, batched_edges(edges, len(b), nodes), num_graphs=len(b))
            loss, ce = losses(out, yb, weights)
            total += loss.item() * len(b)
            ce_total += ce.item() * len(b)
            correct += (out["direction"].argmax(1) == yb["direction"]).sum().item()
    n = max(1, len(idx))
    return total / n, ce_total / n, correct / n


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    x, y, levels, data_meta = load(args.data, args.levels, args.max_books)
    y = {"direction": y["direction"].astype(np.int64), "magnitude": y["magnitude"].astype(np.float32), "volatility": y["volatility"].astype(np.float32)}
    train_idx, val_idx = split(len(x), args.val_fraction, args.seed)
    feats = x[train_idx].reshape(-1, x.shape[-1])
    stats = feature_stats(feats)
    mean, std = standardisation(feats)
    del feats
    x = ((x - mean) / std).astype(np.float32)
    nodes = 2 * levels
    edges = level_edges(levels).to(device)
    model = OrderBookGNN(hidden=args.hidden, heads=args.heads, attention=args.attention, dropout=args.dropout, noise=args.noise, use_pyg=not args.no_pyg).to(device)
    steps = args.epochs * math.ceil(len(train_idx) / args.batch)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr / 25)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=max(1, steps))
    scaler = torch.cuda.amp.GradScaler(enabled=device.type == "cuda")
    rng = np.random.default_rng(args.seed)
    best, best_state, stale, history = math.inf, None, 0, []
    t0 = time.time()
    samples = 0
    for epoch in range(args.epochs):
        model.train()
        order = rng.permutation(train_idx)
        for s in range(0, len(order), args.batch):
            b = order[s : s + args.batch]
            xb = torch.as_tensor(x[b], dtype=torch.float32, device=device).reshape(-1, x.shape[-1])
            yb = {k: torch.as_tensor(v[b], device=device) for k, v in y.items()}
            with torch.autocast(device_type=device.type, enabled=device.type == "cuda"):
                out = model(xb, batched_edges(edges, len(b), nodes), num_graphs=len(b))
            loss, _ = losses(out, yb, args.weights)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            sched.step()
            samples += len(b)
        val = evaluate(model, x, y, val_idx, edges, nodes, 1024, device, args.weights) if len(val_idx) else (float("nan"),) * 3
        history.append({"epoch": epoch + 1, "val_loss": val[0], "val_log_loss": val[1], "val_accuracy": val[2]})
        print(json.dumps(history[-1]), flush=True)
        if len(val_idx) == 0 or val[0] < best - 1e-6:
            best, stale = val[0], 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
            if stale >= args.patience:
                break
    seconds = time.time() - t0
    if best_state is not None:
        model.load_state_dict(best_state)
    model = fold_standardisation(model.cpu().eval(), mean, std)
    meta = export(model, levels, args.out, {
        "name": args.name or "orderbook-gnn",
        "feature_stats": stats,
        "input_standardisation": {"folded_into": "conv1", "mean": mean.tolist(), "std": std.tolist()},
        "trained_on": {"books": int(len(train_idx)), "source": data_meta.get("hawkgraph.source"), "label": {k: v for k, v in data_meta.items() if k.startswith("hawkgraph.label")}},
        "training": {"epochs": len(history), "best_val_loss": best, "sage": "pyg" if (_PygSAGEConv is not None and not args.no_pyg) else "pure-pytorch"},
    })
    print(json.dumps({"out": args.out, "books": len(x), "train": len(train_idx), "val": len(val_idx), "samples_per_s": samples / max(seconds, 1e-9), "history": history, "metadata": {k: meta[k] for k in ("levels", "hidden", "heads", "attention")}}), flush=True)


if __name__ == "__main__":
    main()
