"""Outcome-model speed: batch throughput (contacts/s) and single-contact latency per model.

Run: .venv/bin/python benchmarks/models.py [--rows 100000] [--json]
Also times the reaction model's `react` call (the engine calls it once per agent action).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def _best(fn, repeat: int) -> float:
    """Best-of-`repeat` wall time of fn() in seconds (least disturbed by other processes)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from customer_models import features
    from customer_models.ground_truth import generate
    from customer_models.models import OutcomeModels, _sigmoid, _softmax
    from customer_models.personas import sample_personas
    from customer_models.reaction import Mood, react

    t0 = time.perf_counter()
    models = OutcomeModels.load_default()
    load_s = time.perf_counter() - t0
    gen = generate(np.random.default_rng(1), args.rows)
    X = features.encode_columns(gen.columns)
    records = [{k: gen.columns[k][i] for k in features.RAW_FIELDS} for i in range(200)]
    rec = records[0]
    row = X[:1]

    # The same portable kernels `predict` uses (no BLAS; see customer_models/portable.py).
    per_model = {
        "csat": lambda A: _softmax(models._csat.logits(A)),
        "churn": lambda A: _sigmoid(models._churn.logits(A)[:, 0]),
        "cross_sell": lambda A: _sigmoid(models._xs.logits(A)[:, 0]),
        "all (predict)": models.predict,
    }
    results: dict[str, dict[str, float]] = {}
    for name, fn in per_model.items():
        batch_s = _best(lambda fn=fn: fn(X), 5)
        single_s = _best(lambda fn=fn: [fn(row) for _ in range(1000)], 3) / 1000
        results[name] = {
            "batch_contacts_per_s": args.rows / batch_s,
            "single_latency_us": single_s * 1e6,
        }
    encode_batch = _best(lambda: features.encode_columns(gen.columns), 3)
    enc_single = _best(lambda: [features.encode([rec]) for _ in range(300)], 3) / 300
    full_single = (
        _best(lambda: [models.predict(features.encode([rec])) for _ in range(300)], 3) / 300
    )
    explain_single = _best(lambda: [models.explain(rec, "zh-CN") for _ in range(300)], 3) / 300
    persona = sample_personas(np.random.default_rng(2), 1).persona(0)
    rng = np.random.default_rng(3)
    mood = Mood.of(persona)
    react_s = (
        _best(
            lambda: [
                react(persona, mood, ("empathy", "apology"), rng, kind="complaint", seconds=8.0)
                for _ in range(20000)
            ],
            3,
        )
        / 20000
    )
    summary = {
        "rows": args.rows,
        "model_version": models.version,
        "load_default_s": load_s,
        "models": results,
        "encode_batch_contacts_per_s": args.rows / encode_batch,
        "single_encode_us": enc_single * 1e6,
        "single_encode_predict_us": full_single * 1e6,
        "single_explain_us": explain_single * 1e6,
        "react_us": react_s * 1e6,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(f"outcome models {models.version}: {args.rows} generated contacts (load {load_s:.2f} s)")
    print(f"{'model':<15}{'batch contacts/s':>20}{'single row µs':>16}")
    for name, r in results.items():
        print(f"{name:<15}{r['batch_contacts_per_s']:>20,.0f}{r['single_latency_us']:>16.1f}")
    print(
        f"encode batch: {summary['encode_batch_contacts_per_s']:,.0f} contacts/s; "
        f"single record encode {summary['single_encode_us']:.0f} µs"
    )
    print(
        f"single contact encode + predict: {summary['single_encode_predict_us']:.0f} µs; "
        f"+ explain (zh-CN, top 4): {summary['single_explain_us']:.0f} µs"
    )
    print(f"reaction model react(): {summary['react_us']:.2f} µs per agent action")


if __name__ == "__main__":
    main()
