"""Training and export of hawkgraph's order-book GNN (PyTorch; PyTorch Geometric where installed).

The model, its node features and the file it is exported to are the package's (fixtures/gnn/README.md in the
shared tree documents them; docs/train-gnn.md here): a model trained here runs unchanged in the engine.
"""
