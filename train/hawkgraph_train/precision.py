"""How an exported model fares in half precision: an emulation of the engine's fp16 path against float64.

The CUDA fp16 path stores weights and every layer input (the node features included) as IEEE half and
accumulates in fp32 with fp32 biases. `fp16_model` rounds a float64 copy of a model the same way: every weight
matrix and every layer input through float16 (biases, sums and the LayerNorm stay wide), so its outputs bound the
error that half storage adds. Folding the standardisation into conv1 scales its weights by 1 / std (about 1e3 for
the price distance); `compare` runs the folded file and, unfolded from its metadata, the same model reading
standardised features, so the two errors can be set side by side.
"""
import copy

import torch

from .model import fold_standardisation


def _half(t):
    return t.to(torch.float16).to(t.dtype)


def _round_inputs(module, inputs):
    return tuple(_half(i) if torch.is_tensor(i) and i.is_floating_point() else i for i in inputs)


def fp16_model(model):
    """A copy of `model` (float64, eval) whose weight matrices and layer inputs are rounded through float16."""
    m = copy.deepcopy(model).double().eval()
    with torch.no_grad():
        for name, p in m.named_parameters():
            if p.dim() == 2:  # weight matrices; biases and LayerNorm's vectors stay wide, as the kernels keep them
                p.copy_(_half(p))
    for name, mod in m.named_modules():
        if isinstance(mod, torch.nn.Linear) or isinstance(mod, torch.nn.MultiheadAttention):
            mod.register_forward_pre_hook(_round_inputs)
    return m


def unfolded(model, mean, std):
    """The model that reads standardised features, recovered from a folded one (folding with -mean/std, 1/std)."""
    m = torch.as_tensor(mean, dtype=torch.float64)
    s = torch.as_tensor(std, dtype=torch.float64)
    return fold_standardisation(copy.deepcopy(model).double(), -m / s, 1.0 / s)


def output_errors(exact, approx, margin=0.05):
    """Largest logit difference, and the share of books with the same direction where the top two exact logits differ by > margin."""
    top2 = exact.topk(2, dim=1).values
    clear = (top2[:, 0] - top2[:, 1]) > margin
    same = (exact.argmax(1) == approx.argmax(1))[clear]
    return {"max_logit_diff": float((exact - approx).abs().max()), "same_direction": float(same.double().mean()) if len(same) else 1.0,
            "books_clear": int(clear.sum())}


def compare(model, x, edges, num_graphs, mean=None, std=None):
    """fp16 emulation against float64 for the folded model on raw features x, and for its unfolded form on z."""
    with torch.no_grad():
        exact = model(x, edges, num_graphs=num_graphs)["direction"]
        out = {"folded": output_errors(exact, fp16_model(model)(x, edges, num_graphs=num_graphs)["direction"])}
        if mean is not None:
            m, s = torch.as_tensor(mean, dtype=x.dtype), torch.as_tensor(std, dtype=x.dtype)
            z = (x - m) / s
            u = unfolded(model, mean, std)
            exact_u = u(z, edges, num_graphs=num_graphs)["direction"]
            out["unfolded_on_standardised"] = output_errors(exact_u, fp16_model(u)(z, edges, num_graphs=num_graphs)["direction"])
            out["unfold_roundtrip_max_logit_diff"] = float((exact_u - exact).abs().max())
    return out
