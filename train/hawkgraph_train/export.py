"""The package's model file: safetensors with PyG state-dict names, edge_index and string metadata."""
import json

import torch
from safetensors.torch import save_file

from .model import level_edges


def export(model, levels, path, extra_metadata=None):
    """Writes `model` (an OrderBookGNN) for `levels` levels a side to `path`, float32, with its metadata."""
    state = {k: v.detach().to(torch.float32).contiguous().cpu() for k, v in model.state_dict().items()}
    state["edge_index"] = level_edges(levels).to(torch.int64)
    meta = {
        "format": "orderbook-gnn",
        "version": "1",
        "node_features": "8",
        "hidden": str(model.hidden),
        "heads": str(model.attention.num_heads),
        "levels": str(levels),
        "attention": model.attention_mode,
        "classes": "down,flat,up",
    }
    for k, v in (extra_metadata or {}).items():
        meta[k] = v if isinstance(v, str) else json.dumps(v)
    save_file(state, path, metadata=meta)
    return meta
