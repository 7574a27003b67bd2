"""How the pool picks one deployment among the healthy candidates (a registry of strategies).

Each strategy gets the ready candidates in the alias's order and returns one; ties keep that order,
so the alias order is the preference when everything else is equal.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from pool.state import DeploymentState

Strategy = Callable[[Sequence[DeploymentState]], DeploymentState]


def least_busy(options: Sequence[DeploymentState]) -> DeploymentState:
    # in-flight relative to weight: a weight-2 deployment takes twice the share
    return min(options, key=lambda s: s.stats.in_flight / s.deployment.weight)


def lowest_latency(options: Sequence[DeploymentState]) -> DeploymentState:
    # an unmeasured deployment counts as fastest, so every candidate gets measured
    return min(options, key=lambda s: s.stats.ewma_ms or 0.0)


def lowest_cost(options: Sequence[DeploymentState]) -> DeploymentState:
    return min(options, key=lambda s: (s.blended_price(), s.stats.in_flight))


STRATEGIES: dict[str, Strategy] = {"least-busy": least_busy, "latency": lowest_latency, "cost": lowest_cost}


def strategy(name: str) -> Strategy:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ValueError(f"unknown routing {name!r}; known: {', '.join(STRATEGIES)}") from None
