"""OrderBookGNN: GraphSAGE (three layers) + multi-head attention + three heads, as the engine runs it.

PyTorch Geometric's SAGEConv is used where torch_geometric imports; otherwise SAGELayer, the same function
(mean aggregation over incoming edges, out = lin_l(mean_j x_j) + lin_r(x_i)) with the same state-dict names, so
the exported file does not depend on which one trained it. Dropout and the Gaussian noise on the node features
are training-time only (the seed's regularisation); eval() turns both off.
"""
import torch
import torch.nn.functional as F

try:  # pragma: no cover - depends on the environment
    from torch_geometric.nn import SAGEConv as _PygSAGEConv
except Exception:  # torch_geometric missing, or built for another torch
    _PygSAGEConv = None


class SAGELayer(torch.nn.Module):
    """GraphSAGE with mean aggregation: PyG SAGEConv's function and parameter names (lin_l with bias, lin_r without)."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.lin_l = torch.nn.Linear(in_channels, out_channels, bias=True)
        self.lin_r = torch.nn.Linear(in_channels, out_channels, bias=False)

    def forward(self, x, edge_index):
        src, dst = edge_index[0], edge_index[1]
        total = torch.zeros_like(x).index_add_(0, dst, x[src])
        count = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device).index_add_(0, dst, torch.ones_like(dst, dtype=x.dtype))
        mean = total / count.clamp(min=1).unsqueeze(1)
        return self.lin_l(mean) + self.lin_r(x)


def fold_standardisation(model, mean, std):
    """Folds the input standardisation z = (x - mean) / std into conv1, in place, so the model reads raw features.

    conv1(z) = W_l mean_j(z_j) + b + W_r z_i. Every node has incoming edges (bid_i <-> ask_i, level_edges), so
    mean_j(z_j) = (mean_j(x_j) - mean) / std exactly, and conv1(z) = W_l' mean_j(x_j) + W_r' x_i + b' with
    W' = W diag(1 / std) and b' = b - (W_l + W_r) (mean / std). Computed in float64.
    """
    conv = model.conv1
    m = torch.as_tensor(mean, dtype=torch.float64)
    inv = 1.0 / torch.as_tensor(std, dtype=torch.float64)
    with torch.no_grad():
        wl, wr = conv.lin_l.weight.double(), conv.lin_r.weight.double()
        bias = conv.lin_l.bias.double() - (wl + wr) @ (m * inv)
        conv.lin_l.weight.copy_(wl * inv)
        conv.lin_r.weight.copy_(wr * inv)
        conv.lin_l.bias.copy_(bias)
    return model


def sage(in_channels, out_channels, use_pyg=True):
    if use_pyg and _PygSAGEConv is not None:
        return _PygSAGEConv(in_channels, out_channels)
    return SAGELayer(in_channels, out_channels)


def level_edges(levels):
    """The engine's topology: nodes bid0, ask0, bid1, ask1, ...; edges both ways bid_i <-> ask_i and j <-> j + 2."""
    e = []
    for i in range(levels):
        e += [[2 * i, 2 * i + 1], [2 * i + 1, 2 * i]]
    for j in range(2 * levels - 2):
        e += [[j, j + 2], [j + 2, j]]
    return torch.tensor(e, dtype=torch.long).t().contiguous()


def batched_edges(edge_index, graphs, nodes):
    offsets = (torch.arange(graphs, device=edge_index.device) * nodes).repeat_interleave(edge_index.shape[1])
    return edge_index.repeat(1, graphs) + offsets.unsqueeze(0)


class OrderBookGNN(torch.nn.Module):
    def __init__(self, node_features=8, hidden=128, heads=4, attention="pooled", dropout=0.1, noise=0.01, use_pyg=True):
        super().__init__()
        if attention not in ("pooled", "levels"):
            raise ValueError(f"attention must be 'pooled' or 'levels', got {attention!r}")
        self.attention_mode = attention
        self.hidden = hidden
        self.dropout = dropout
        self.noise = noise
        self.conv1 = sage(node_features, hidden, use_pyg)
        self.conv2 = sage(hidden, hidden, use_pyg)
        self.conv3 = sage(hidden, hidden // 2, use_pyg)
        self.attention = torch.nn.MultiheadAttention(hidden // 2, heads, batch_first=True)
        self.direction_head = torch.nn.Linear(hidden // 2, 3)
        self.magnitude_head = torch.nn.Linear(hidden // 2, 1)
        self.volatility_head = torch.nn.Linear(hidden // 2, 1)
        self.norm = torch.nn.LayerNorm(hidden // 2)

    def forward(self, x, edge_index, num_graphs=1):
        """x: [num_graphs * 2L, F] (graphs of equal size); returns logits, magnitude, volatility, embeddings."""
        if self.training and self.noise > 0:
            x = x + self.noise * torch.randn_like(x)
        x = F.relu(self.conv1(x, edge_index))
        x = F.dropout(x, self.dropout, self.training)
        x = F.relu(self.conv2(x, edge_index))
        x = F.dropout(x, self.dropout, self.training)
        x = self.conv3(x, edge_index)
        h = x.view(num_graphs, -1, x.shape[-1])
        if self.attention_mode == "pooled":
            g = h.mean(dim=1, keepdim=True)
            a, _ = self.attention(g, g, g, need_weights=False)
            a = a[:, 0]
        else:
            a, _ = self.attention(h, h, h, need_weights=False)
            a = a.mean(dim=1)
        z = self.norm(a)
        return {
            "direction": self.direction_head(z),
            "magnitude": torch.sigmoid(self.magnitude_head(z)).squeeze(-1),
            "volatility": torch.relu(self.volatility_head(z)).squeeze(-1),
            "embeddings": z,
        }
