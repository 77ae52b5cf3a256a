#!/usr/bin/env python3
"""OpenBLAS float32 GEMM throughput (2 threads) for the same cases as GemmBench, as JSON lines.

Run with the system interpreter that has numpy (libopenblas0-pthread) and torch:
    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 scripts/bench_openblas.py [--torch]
"""
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np  # noqa: E402  (thread count must be set before import)

CASES = [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (777, 1031, 3079)]


def measure(matmul, a, b, flops, repeats=5, min_seconds=0.1):
    matmul(a, b)
    start = time.perf_counter()
    matmul(a, b)
    once = max(time.perf_counter() - start, 1e-6)
    calls = max(1, int(min_seconds / once))
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            matmul(a, b)
        best = max(best, flops * calls / (time.perf_counter() - start) / 1e9)
    return best


def main():
    use_torch = "--torch" in sys.argv
    rng = np.random.default_rng(1234)
    if use_torch:
        import torch
        torch.set_num_threads(2)
    for m, n, k in CASES:
        a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
        if use_torch:
            a, b = torch.from_numpy(a), torch.from_numpy(b)
            gflops = measure(torch.matmul, a, b, 2.0 * m * n * k)
        else:
            gflops = measure(np.matmul, a, b, 2.0 * m * n * k)
        record = {"bench": "openblas_gemm"}
        record.update({"n": n} if m == n == k else {"m": m, "n": n, "k": k})
        record["gflops"] = round(gflops, 1)
        print(json.dumps(record, separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
