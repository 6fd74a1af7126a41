"""Turn scikit-learn's bundled digits data into the example histories in ``histories/``.

A reproducible stand-in for the user's Keras experiment series: a small numpy
MLP (Adagrad, categorical cross-entropy, 30 epochs) on the five classes 0-4 of
``sklearn.datasets.load_digits`` (shipped inside the scikit-learn wheel, no
download). Three runs, as in the user's notebooks: a baseline, + L2 weight
decay, + L2 and batch normalisation. 15% of the training labels are flipped so
that the small, wide network overfits the way the user's did.

Each run is saved the way the user saves Keras histories:
``pickle.dump(history.history, f)`` with float32 numpy scalars (as TF 2
``History`` objects hold them); metric names follow Keras's duplicate-name
suffixes (``recall``, ``recall_1`` ... ``recall_4``) with ``val_`` twins and the
user's macro keys (``macro_avg_F1_th`` ...). Per-class metrics are Keras's
thresholded ones (score ≥ 0.5), accumulated over each epoch's batches for
training and over the validation set at epoch end.

    python scripts/make_histories.py [OUT_DIR]      (default: histories/)
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np

EPOCHS = 30
CLASSES = 5
BATCH = 32
HIDDEN = 256
SEED = 20260
NOISE = 0.15

Array = np.ndarray[Any, Any]


def load_data(rng: np.random.Generator) -> tuple[Array, Array, Array, Array]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    keep = digits.target < CLASSES
    x = digits.data[keep].astype(np.float64) / 16.0
    y = digits.target[keep]
    order = rng.permutation(len(y))
    x, y = x[order], y[order]
    n_train = int(0.4 * len(y))
    x_tr, y_tr, x_va, y_va = x[:n_train], y[:n_train].copy(), x[n_train:], y[n_train:]
    flip = rng.random(n_train) < NOISE
    y_tr[flip] = (y_tr[flip] + rng.integers(1, CLASSES, flip.sum())) % CLASSES
    return x_tr, y_tr, x_va, y_va


class MLP:
    """Dense(HIDDEN) [→ BatchNorm] → ReLU → Dense(CLASSES) → softmax, trained with Adagrad."""

    def __init__(
        self, rng: np.random.Generator, n_in: int, l2: float, batchnorm: bool, lr: float = 0.05
    ) -> None:
        lim1, lim2 = np.sqrt(6 / (n_in + HIDDEN)), np.sqrt(6 / (HIDDEN + CLASSES))
        self.p = {
            "w1": rng.uniform(-lim1, lim1, (n_in, HIDDEN)),
            "b1": np.zeros(HIDDEN),
            "w2": rng.uniform(-lim2, lim2, (HIDDEN, CLASSES)),
            "b2": np.zeros(CLASSES),
        }
        self.batchnorm = batchnorm
        if batchnorm:
            self.p["gamma"], self.p["beta"] = np.ones(HIDDEN), np.zeros(HIDDEN)
            self.mean, self.var = np.zeros(HIDDEN), np.ones(HIDDEN)
        self.acc = {k: np.full_like(v, 0.1) for k, v in self.p.items()}  # Keras Adagrad init
        self.l2, self.lr = l2, lr

    def penalty(self) -> float:
        return self.l2 * float(np.sum(self.p["w1"] ** 2) + np.sum(self.p["w2"] ** 2))

    def forward(self, x: Array, train: bool) -> tuple[Array, dict[str, Array]]:
        h = x @ self.p["w1"] + self.p["b1"]
        cache: dict[str, Array] = {"x": x, "h": h}
        if self.batchnorm:
            if train:
                mu, var = h.mean(0), h.var(0)
                self.mean = 0.9 * self.mean + 0.1 * mu
                self.var = 0.9 * self.var + 0.1 * var
            else:
                mu, var = self.mean, self.var
            inv = 1.0 / np.sqrt(var + 1e-3)
            xhat = (h - mu) * inv
            cache.update(xhat=xhat, inv=inv)
            h = self.p["gamma"] * xhat + self.p["beta"]
        a = np.maximum(h, 0.0)
        logits = a @ self.p["w2"] + self.p["b2"]
        logits -= logits.max(1, keepdims=True)
        prob = np.exp(logits)
        prob /= prob.sum(1, keepdims=True)
        cache.update(pre=h, a=a)
        return prob, cache

    def step(self, prob: Array, onehot: Array, cache: dict[str, Array]) -> None:
        n = len(prob)
        d_logits = (prob - onehot) / n
        g = {"w2": cache["a"].T @ d_logits + 2 * self.l2 * self.p["w2"], "b2": d_logits.sum(0)}
        d_pre = (d_logits @ self.p["w2"].T) * (cache["pre"] > 0)
        if self.batchnorm:
            xhat, inv = cache["xhat"], cache["inv"]
            g["gamma"], g["beta"] = (d_pre * xhat).sum(0), d_pre.sum(0)
            d_xhat = d_pre * self.p["gamma"]
            d_h = inv / n * (n * d_xhat - d_xhat.sum(0) - xhat * (d_xhat * xhat).sum(0))
        else:
            d_h = d_pre
        g["w1"] = cache["x"].T @ d_h + 2 * self.l2 * self.p["w1"]
        g["b1"] = d_h.sum(0)
        for k, grad in g.items():
            self.acc[k] += grad**2
            self.p[k] -= self.lr * grad / (np.sqrt(self.acc[k]) + 1e-7)


def cross_entropy(prob: Array, y: Array) -> float:
    return float(-np.mean(np.log(np.clip(prob[np.arange(len(y)), y], 1e-7, 1.0))))


def counts(prob: Array, y: Array) -> Array:
    """Per-class (TP, FP, FN) with Keras's 0.5 threshold on each class score."""
    pred = prob >= 0.5
    true = np.eye(CLASSES, dtype=bool)[y]
    return np.stack([(pred & true).sum(0), (pred & ~true).sum(0), (~pred & true).sum(0)], 1)


def scores(c: Array) -> dict[str, Array]:
    tp, fp, fn = c[:, 0].astype(float), c[:, 1].astype(float), c[:, 2].astype(float)
    recall = np.divide(tp, tp + fn, out=np.zeros(CLASSES), where=(tp + fn) > 0)
    prec = np.divide(tp, tp + fp, out=np.zeros(CLASSES), where=(tp + fp) > 0)
    f1 = np.divide(
        2 * prec * recall, prec + recall, out=np.zeros(CLASSES), where=(prec + recall) > 0
    )
    return {"recall": recall, "prec": prec, "F1": f1}


def keras_keys(prefix: str, loss: float, per_class: dict[str, Array]) -> dict[str, float]:
    out = {f"{prefix}loss": loss}
    for name, values in per_class.items():
        for k, v in enumerate(values):
            out[f"{prefix}{name}" + ("" if k == 0 else f"_{k}")] = float(v)
    for name in ("recall", "prec", "F1"):
        out[f"{prefix}macro_avg_{name}_th"] = float(per_class[name].mean())
    return out


def train(l2: float, batchnorm: bool, seed: int) -> dict[str, list[Any]]:
    rng = np.random.default_rng(seed)
    x_tr, y_tr, x_va, y_va = load_data(np.random.default_rng(SEED))
    model = MLP(rng, x_tr.shape[1], l2, batchnorm)
    onehot = np.eye(CLASSES)[y_tr]
    history: dict[str, list[Any]] = {}
    for _ in range(EPOCHS):
        order = rng.permutation(len(y_tr))
        losses, c = [], np.zeros((CLASSES, 3), dtype=np.int64)
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            prob, cache = model.forward(x_tr[idx], train=True)
            losses.append(cross_entropy(prob, y_tr[idx]) + model.penalty())
            c += counts(prob, y_tr[idx])
            model.step(prob, onehot[idx], cache)
        prob_va, _ = model.forward(x_va, train=False)
        row = keras_keys("", float(np.mean(losses)), scores(c))
        row |= keras_keys(
            "val_", cross_entropy(prob_va, y_va) + model.penalty(), scores(counts(prob_va, y_va))
        )
        for key, value in row.items():
            history.setdefault(key, []).append(np.float32(value))
    return history


RUNS = {
    "0_baseline": {"l2": 0.0, "batchnorm": False},
    "1_l2": {"l2": 1e-4, "batchnorm": False},
    "2_l2_batchnorm": {"l2": 1e-4, "batchnorm": True},
}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for i, (name, params) in enumerate(RUNS.items()):
        history = train(seed=SEED + i, **params)  # type: ignore[arg-type]
        with open(out / f"{name}.pkl", "wb") as fh:
            pickle.dump(history, fh, protocol=4)
        print(f"{out / (name + '.pkl')}: {len(history)} keys, {EPOCHS} epochs")


if __name__ == "__main__":
    main(
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parent.parent / "histories"
    )
