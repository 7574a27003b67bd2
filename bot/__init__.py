"""Process assembly, settings, storage, adapters, HTTP app, scheduler wiring, worker loop and CLI."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("chatops-bot")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+local"
