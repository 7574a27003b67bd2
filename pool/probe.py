"""A cheap request each dialect answers without spending tokens: its models list, with the deployment's
auth headers. `chatops check` uses it to tell, per deployment, whether the provider answers."""
from __future__ import annotations

from pool.config import Deployment
from pool.direct import make_client

MODELS_PATH = {
    "openai": "/models",  # the base already ends in /v1
    "anthropic": "/v1/models",
    "gemini": "/v1beta/models",
    "ollama": "/api/tags",
}


def models_request(dep: Deployment) -> tuple[str, dict[str, str]]:
    """(URL, headers) of a GET listing the deployment's models; the headers carry its key."""
    client = make_client(dep)  # no HTTP session yet: it is created on the first call, which never comes
    return client.base_url + MODELS_PATH[dep.kind], client.auth_headers(dep.api_key)
