"""Medians and ratios over rounds."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable


def median(values: Iterable[float]) -> float:
    """Median of the finite values; NaN when there are none."""
    finite = [value for value in values if math.isfinite(value)]
    return statistics.median(finite) if finite else float("nan")


def ratio(numerator: float, denominator: float) -> float:
    """The quotient numerator / denominator, NaN when undefined."""
    if not (math.isfinite(numerator) and math.isfinite(denominator)) or denominator == 0:
        return float("nan")
    return numerator / denominator
