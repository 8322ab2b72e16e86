"""Datasets (docs/dataset.md: Arrow IPC streams) as the engine's node features and the labels."""
import numpy as np
import pyarrow as pa

FEATURES = 8
FEATURE_NAMES = ["is_bid", "log1p_volume", "distance_from_mid", "order_flow", "level_frac", "inv_rank", "volume_share", "reserved"]


def read_books(path):
    """A dataset file: dict of numpy arrays (bid_px, bid_sz, ask_px, ask_sz [n, L], bid_levels, ask_levels, labels)."""
    with pa.OSFile(path, "rb") as f:
        table = pa.ipc.open_stream(f).read_all()
    meta = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    if meta.get("hawkgraph.format") != "books/1":
        raise ValueError(f"{path} is not a hawkgraph books dataset (hawkgraph.format {meta.get('hawkgraph.format')!r})")
    levels = int(meta["hawkgraph.levels"])
    out = {"levels": levels, "metadata": meta, "length": table.num_rows}
    for name in ("bid_px", "bid_sz", "ask_px", "ask_sz"):
        out[name] = table.column(name).combine_chunks().flatten().to_numpy().reshape(table.num_rows, levels)
    for name in ("bid_levels", "ask_levels", "time"):
        out[name] = table.column(name).to_numpy()
    for name in ("direction", "move", "magnitude", "volatility", "path"):
        if name in table.column_names:
            out[name] = table.column(name).to_numpy()
    return out


def node_features(books, levels, rows=None):
    """[n, 2L, 8] float64, the engine's features (order_flow 0) for books with at least `levels` levels a side."""
    idx = np.arange(books["length"]) if rows is None else np.asarray(rows)
    bp, bs = books["bid_px"][idx, :levels], books["bid_sz"][idx, :levels]
    ap, az = books["ask_px"][idx, :levels], books["ask_sz"][idx, :levels]
    n, L = len(idx), levels
    mid = (bp[:, :1] + ap[:, :1]) / 2
    bid_total = np.zeros((n, 1))
    ask_total = np.zeros((n, 1))
    for i in range(L):  # in level order, as the engine sums
        bid_total += bs[:, i : i + 1]
        ask_total += az[:, i : i + 1]
    bid_total += 1e-8
    ask_total += 1e-8
    x = np.zeros((n, 2 * L, FEATURES))
    level = np.arange(L)
    x[:, 0::2, 0] = 1.0
    x[:, 0::2, 1] = np.log1p(bs)
    x[:, 1::2, 1] = np.log1p(az)
    x[:, 0::2, 2] = (mid - bp) / mid
    x[:, 1::2, 2] = (ap - mid) / mid
    x[:, 0::2, 4] = x[:, 1::2, 4] = level / L
    x[:, 0::2, 5] = x[:, 1::2, 5] = 1.0 / (level + 1)
    x[:, 0::2, 6] = bs / bid_total
    x[:, 1::2, 6] = az / ask_total
    return x


QUANTILE_PROBS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def feature_stats(feats):
    """Per node feature of [n, 8] training rows: mean, std and the deciles (`quantiles`, ascending), for drift monitoring."""
    q = np.quantile(feats, QUANTILE_PROBS, axis=0)
    return {name: {"mean": float(feats[:, i].mean()), "std": float(feats[:, i].std()), "quantiles": [float(v) for v in q[:, i]]}
            for i, name in enumerate(FEATURE_NAMES)}


def standardisation(feats):
    """(mean, std) per feature of [n, 8] training rows; a feature constant over them (order flow when trained
    without it, the reserved column) gets (0, 1), i.e. passes unchanged, so inputs it never saw are not blown up."""
    mean, std = feats.mean(0), feats.std(0)
    constant = std <= 1e-12 * np.maximum(1.0, np.abs(mean))
    return np.where(constant, 0.0, mean), np.where(constant, 1.0, std)


def full_books(books, levels):
    """Rows with at least `levels` levels on both sides (the graphs of one size a batch needs)."""
    return np.nonzero((books["bid_levels"] >= levels) & (books["ask_levels"] >= levels))[0]
