"""PyTorch's outputs of an exported model on a dataset's books, for `npx hawkgraph check-model`.

  python3 -m hawkgraph_train.predict model.safetensors data.arrows --books 512 --out outputs.json

Books with the model's levels on both sides, the first --books of them; float64 throughout.
"""
import argparse
import json

import numpy as np
import torch
from safetensors import safe_open

from .data import full_books, node_features, read_books
from .model import OrderBookGNN, batched_edges, level_edges


def read_metadata(path):
    with safe_open(path, framework="pt") as f:
        return f.metadata()


def load_model(path):
    with safe_open(path, framework="pt") as f:
        meta = f.metadata()
        state = {k: f.get_tensor(k) for k in f.keys()}
    state.pop("edge_index")
    model = OrderBookGNN(hidden=int(meta["hidden"]), heads=int(meta["heads"]), attention=meta["attention"], use_pyg=False)
    model.load_state_dict(state)
    return model.double().eval(), int(meta["levels"])


def main(argv=None):
    p = argparse.ArgumentParser(prog="hawkgraph_train.predict")
    p.add_argument("model")
    p.add_argument("data")
    p.add_argument("--books", type=int, default=512)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    model, levels = load_model(a.model)
    books = read_books(a.data)
    rows = full_books(books, levels)[: a.books]
    x = torch.as_tensor(node_features(books, levels, rows), dtype=torch.float64)
    with torch.no_grad():
        out = model(x.reshape(-1, x.shape[-1]), batched_edges(level_edges(levels), len(rows), 2 * levels), num_graphs=len(rows))
    result = {"rows": rows.tolist(), "logits": out["direction"].numpy().tolist(), "magnitude": out["magnitude"].numpy().tolist(), "volatility": out["volatility"].numpy().tolist()}
    with open(a.out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
