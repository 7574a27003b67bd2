"""One deployment inside the pool: its config, shared client, breaker, semaphore and figures."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from pool import prices
from pool.breaker import Breaker, DeploymentStats
from pool.config import Deployment
from pool.interface import ChatClient


@dataclass(slots=True)
class DeploymentState:
    deployment: Deployment
    client: ChatClient
    breaker: Breaker
    semaphore: asyncio.Semaphore
    stats: DeploymentStats = field(default_factory=DeploymentStats)
    price: prices.Price | None = None  # looked up once: the hot path must not search the table

    def __post_init__(self) -> None:
        self.price = self.deployment.price()

    @property
    def name(self) -> str:
        return self.deployment.name

    def blended_price(self) -> float:
        p = self.price or prices.UNPRICED
        return p[0] + p[1]
