"""Peer for bench/suites/hawkes.js: Ogata thinning with numpy vector operations per candidate
(the usual way to write it in numpy: the loop over events cannot be vectorised).

usage: hawkes_numpy.py PARAMS_JSON END_TIME SEED
PARAMS_JSON: {"mu": [...], "alpha": [[...]], "beta": [...]} (one beta per excited dimension).
Prints {"events", "seconds", "counts", "numpy"} as JSON.
"""
import json
import sys
import time

import numpy as np


def simulate(mu, alpha, beta, end_time, rng):
    d = len(mu)
    y = np.zeros(d)
    mu_total = mu.sum()
    t = 0.0
    times, types = [], []
    while True:
        bound = mu_total + y.sum()
        cand = t + rng.exponential(1.0 / bound)
        if cand > end_time:
            break
        y *= np.exp(-beta * (cand - t))
        t = cand
        lam = mu + y
        total = lam.sum()
        x = rng.random() * bound
        if x >= total:
            continue
        k = int(np.searchsorted(np.cumsum(lam), x, side="right"))
        k = min(k, d - 1)
        times.append(t)
        types.append(k)
        y += alpha[:, k]
    return times, types


def main():
    params = json.loads(sys.argv[1])
    end_time = float(sys.argv[2])
    seed = int(sys.argv[3])
    mu = np.array(params["mu"], dtype=np.float64)
    alpha = np.array(params["alpha"], dtype=np.float64)
    beta = np.array(params["beta"], dtype=np.float64)
    rng = np.random.default_rng(seed)
    start = time.perf_counter_ns()
    times, types = simulate(mu, alpha, beta, end_time, rng)
    seconds = (time.perf_counter_ns() - start) / 1e9
    counts = np.bincount(np.array(types, dtype=np.int64), minlength=len(mu)).tolist()
    print(json.dumps({"events": len(times), "seconds": seconds, "counts": counts, "numpy": np.__version__}))


if __name__ == "__main__":
    main()
