"""Bootstrap confidence intervals over articles, and paired comparisons of two systems.

Percentile bootstraps over articles (1,000 resamples, 95%), as in ROUGE-1.5.5 and rouge-score's
``BootstrapAggregator``, but drawn here from a seeded ``numpy.random.Generator``: the aggregator
draws from numpy's global RNG, so its intervals change from run to run unless the caller reseeds
process-wide state, and it cannot resample two systems on the same articles, which the paired
comparison needs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

N_RESAMPLES = 1000
CONFIDENCE = 0.95
SEED = 0  # fixed, so that a report can be reproduced to the last digit
BETTER, WORSE, NO_DIFFERENCE = "better", "worse", "no significant difference"


def resample_indices(n: int, n_resamples: int = N_RESAMPLES, seed: int = SEED) -> np.ndarray:
    """(n_resamples, n) row indices drawn with replacement; the same for every call with equal arguments."""
    return np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))


def percentile_interval(samples: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(samples, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_ci(
    values: np.ndarray, *, n_resamples: int = N_RESAMPLES, seed: int = SEED, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of per-article ``values``."""
    values = np.asarray(values, dtype=float)
    means = values[resample_indices(len(values), n_resamples, seed)].mean(axis=1)
    return percentile_interval(means, confidence)


@dataclass
class PairedComparison:
    """System A against system B on the same articles, one ROUGE type's F-measure."""

    rouge_type: str
    n: int
    difference: float  # mean F of A minus mean F of B
    ci_low: float  # 95% bootstrap interval of the difference
    ci_high: float
    p_not_better: float  # fraction of resamples in which A's mean F is <= B's
    verdict: str  # BETTER or WORSE when the interval excludes zero, else NO_DIFFERENCE

    def to_dict(self) -> dict:
        record = asdict(self)
        del record["rouge_type"]
        return record


def paired_bootstrap(
    a: np.ndarray,
    b: np.ndarray,
    *,
    rouge_type: str = "rouge1",
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
    confidence: float = CONFIDENCE,
) -> PairedComparison:
    """Resample articles, not systems: both systems are scored on the same draw each time."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or not len(a):
        raise ValueError("paired bootstrap needs two equally long, non-empty score lists")
    differences = (a - b)[resample_indices(len(a), n_resamples, seed)].mean(axis=1)
    low, high = percentile_interval(differences, confidence)
    verdict = BETTER if low > 0 else WORSE if high < 0 else NO_DIFFERENCE
    return PairedComparison(
        rouge_type=rouge_type,
        n=len(a),
        difference=float(np.mean(a - b)),
        ci_low=low,
        ci_high=high,
        p_not_better=float(np.mean(differences <= 0)),
        verdict=verdict,
    )
