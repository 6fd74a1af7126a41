"""Turn a size into a synthetic training log of that shape, for the scale tests and the
scale benchmark (which must measure the same input the tests check)."""

from __future__ import annotations

from typing import Any

import numpy as np


def long_trainer_state(seed: int, steps: int = 100_000) -> dict[str, Any]:
    """A Hugging Face ``trainer_state.json`` with a training loss at every step and an eval
    loss every 1,000 steps."""
    rng = np.random.default_rng(seed)
    log: list[dict[str, float]] = [
        {
            "step": s,
            "epoch": s / 10_000,
            "loss": float(2 * np.exp(-s / 30_000) + rng.normal(0, 0.05)),
        }
        for s in range(1, steps + 1)
    ]
    log += [
        {"step": s, "epoch": s / 10_000, "eval_loss": float(1.5 * np.exp(-s / 40_000) + 0.3)}
        for s in range(1_000, steps + 1, 1_000)
    ]
    return {"log_history": log}
