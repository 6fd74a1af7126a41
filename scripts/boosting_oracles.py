"""Write tests/data/boosting_oracles.json: real XGBoost and LightGBM early-stopping decisions.

Each case trains the real library on small synthetic data with early stopping on and
records what a report could see (``evals_result``, the callback's parameters) next to
what the library itself decided (``best_iteration`` and how many rounds it ran).
tests/test_boosting.py replays every case from the recorded values alone and requires
the library's decision. Cases vary patience, metrics (both directions), their order,
the number and names of evaluation sets, ``maximize``, ``min_delta`` and, for
LightGBM, ``first_metric_only`` and whether the training set is evaluated.

Run it in an environment with xgboost and lightgbm (not needed by the tests)::

    python scripts/boosting_oracles.py            # rewrites tests/data/boosting_oracles.json
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "boosting_oracles.json"
ROUNDS = (10, 25, 60)  # most cases stop early; the short ones often run to the end


def _data(rng: np.random.Generator, task: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(n, 6))
    signal = x[:, 0] + 0.5 * x[:, 1] - x[:, 2] * x[:, 3]
    noisy = signal + rng.normal(scale=1.5, size=n)  # noisy labels: held-out scores turn around
    if task == "binary":
        return x, (noisy > 0).astype(np.float64)
    if task == "multiclass":
        return x, np.digitize(noisy, [-1.0, 1.0]).astype(np.float64)
    return x, noisy


XGB_METRICS = {
    "binary": ["logloss", "auc", "error", "aucpr", "rmse"],
    "multiclass": ["mlogloss", "merror"],
    "regression": ["rmse", "mae", "mape", "rmsle"],
}
XGB_OBJECTIVE = {
    "binary": "binary:logistic",
    "multiclass": "multi:softprob",
    "regression": "reg:squarederror",
}
LGB_METRICS = {
    "binary": ["binary_logloss", "auc", "binary_error", "average_precision"],
    "multiclass": ["multi_logloss", "multi_error"],
    "regression": ["l2", "l1", "rmse", "mape"],
}
LGB_OBJECTIVE = {"binary": "binary", "multiclass": "multiclass", "regression": "regression"}


def _round(values: list[float]) -> list[float]:
    return [float(v) for v in values]


def xgboost_case(i: int, rng: random.Random) -> dict[str, Any]:
    import xgboost as xgb

    task = rng.choice(list(XGB_METRICS))
    metrics = rng.sample(XGB_METRICS[task], rng.randint(1, min(3, len(XGB_METRICS[task]))))
    gen = np.random.default_rng(i)
    xs, ys = _data(gen, task, 240)
    n_sets = rng.randint(1, 3)
    names = rng.choice(
        [
            ["train", "val", "test"],
            ["validation_0", "validation_1", "validation_2"],
            ["dtrain", "eval", "holdout"],
        ]
    )[:n_sets]
    # the first set is the training data when there is more than one (the usual idiom)
    dtrain = xgb.DMatrix(xs[:120], label=ys[:120])
    evals = []
    for k, name in enumerate(names):
        if k == 0 and n_sets > 1:
            evals.append((dtrain, name))
        else:
            lo = 120 + 40 * (k - (1 if n_sets > 1 else 0))
            evals.append((xgb.DMatrix(xs[lo : lo + 40], label=ys[lo : lo + 40]), name))
    params: dict[str, Any] = {
        "objective": XGB_OBJECTIVE[task],
        "eval_metric": metrics,
        "eta": rng.choice([0.3, 0.5, 0.8]),
        "max_depth": rng.choice([3, 4, 6]),
        "seed": i,
        "nthread": 1,
    }
    if task == "multiclass":
        params["num_class"] = 3
    patience = rng.choice([1, 2, 3, 5, 8])
    n_rounds = rng.choice(ROUNDS)
    maximize = rng.choice([None, None, None, True, False])
    min_delta = rng.choice([0.0, 0.0, 0.0, 1e-3, 1e-2])
    callback = xgb.callback.EarlyStopping(
        rounds=patience, maximize=maximize, min_delta=min_delta, save_best=False
    )
    result: dict[str, Any] = {}
    booster = xgb.train(
        params,
        dtrain,
        num_boost_round=n_rounds,
        evals=evals,
        evals_result=result,
        verbose_eval=False,
        callbacks=[callback],
    )
    rounds = len(next(iter(next(iter(result.values())).values())))
    return {
        "case": f"xgboost-{i}",
        "params": {
            "early_stopping_rounds": patience,
            "maximize": maximize,
            "min_delta": min_delta,
            "num_boost_round": n_rounds,
            "eval_metric": metrics,
            "objective": params["objective"],
        },
        "evals_result": {s: {m: _round(v) for m, v in ms.items()} for s, ms in result.items()},
        "best_iteration": int(booster.best_iteration),
        "rounds_run": rounds,
    }


def lightgbm_case(i: int, rng: random.Random) -> dict[str, Any]:
    import lightgbm as lgb

    task = rng.choice(list(LGB_METRICS))
    metrics = rng.sample(LGB_METRICS[task], rng.randint(1, min(3, len(LGB_METRICS[task]))))
    gen = np.random.default_rng(1000 + i)
    xs, ys = _data(gen, task, 280)
    train = lgb.Dataset(xs[:160], label=ys[:160], free_raw_data=False)
    with_train = rng.random() < 0.5
    n_valid = rng.randint(1, 2)
    sets, names = [], []
    train_name = rng.choice(["training", "train"])
    if with_train:
        sets.append(train)
        names.append(train_name)
    for k in range(n_valid):
        lo = 160 + 60 * k
        sets.append(lgb.Dataset(xs[lo : lo + 60], label=ys[lo : lo + 60], reference=train))
        names.append(rng.choice(["valid", "val", "eval"]) + f"_{k}")
    params: dict[str, Any] = {
        "objective": LGB_OBJECTIVE[task],
        "metric": metrics,
        "learning_rate": rng.choice([0.2, 0.4, 0.8]),
        "num_leaves": rng.choice([7, 15, 31]),
        "min_data_in_leaf": 5,
        "seed": i,
        "num_threads": 1,
        "verbose": -1,
        "deterministic": True,
    }
    if task == "multiclass":
        params["num_class"] = 3
    patience = rng.choice([1, 2, 3, 5, 8])
    n_rounds = rng.choice(ROUNDS)
    first_only = rng.random() < 0.5
    min_delta = rng.choice([0.0, 0.0, 0.0, 1e-3, 1e-2])
    result: dict[str, Any] = {}
    booster = lgb.train(
        params,
        train,
        num_boost_round=n_rounds,
        valid_sets=sets,
        valid_names=names,
        callbacks=[
            lgb.early_stopping(
                patience, first_metric_only=first_only, verbose=False, min_delta=min_delta
            ),
            lgb.record_evaluation(result),
        ],
    )
    rounds = len(next(iter(next(iter(result.values())).values())))
    return {
        "case": f"lightgbm-{i}",
        "params": {
            "stopping_rounds": patience,
            "first_metric_only": first_only,
            "min_delta": min_delta,
            "num_boost_round": n_rounds,
            "metric": metrics,
            "objective": params["objective"],
            "train_set": train_name if with_train else None,
        },
        "evals_result": {s: {m: _round(v) for m, v in ms.items()} for s, ms in result.items()},
        "best_iteration": int(booster.best_iteration),  # LightGBM's: 1-based
        "rounds_run": rounds,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=120, help="cases per library")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    import lightgbm
    import xgboost

    rng = random.Random(16)
    cases = [xgboost_case(i, rng) for i in range(args.cases)]
    cases += [lightgbm_case(i, rng) for i in range(args.cases)]
    doc = {
        "generated_by": "scripts/boosting_oracles.py",
        "xgboost": xgboost.__version__,
        "lightgbm": lightgbm.__version__,
        "cases": cases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, separators=(",", ":")) + "\n", "utf-8")
    stopped = sum(c["rounds_run"] < c["params"]["num_boost_round"] for c in cases)
    print(f"{len(cases)} cases ({stopped} stopped early) -> {args.out}")


if __name__ == "__main__":
    main()
