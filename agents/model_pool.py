"""One chat model per id per negotiation, shared by every agent that names it."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from langchain_core.language_models import BaseChatModel

from maestro.agents.providers import ModelOptions, load_chat_model, parse_model_id
from maestro.agents.providers.allow import check_model_allowed
from maestro.agents.providers.registry import check_model_id


class ModelPool:
    """Resolves model ids lazily and caches them; `override` replaces every agent's choice.

    With `allowed` (an allow-list, see `providers.allow`), an id off the list is refused
    with ModelNotAllowedError before anything — a file named by a `local:` path included —
    is touched: a served graph takes its model ids from its callers.
    """

    def __init__(
        self,
        options: ModelOptions | None = None,
        override: str | None = None,
        models: dict[str, BaseChatModel] | None = None,
        allowed: Iterable[str] | None = None,
    ) -> None:
        self.options = options or ModelOptions()
        self.override = override
        self.allowed = None if allowed is None else tuple(allowed)
        self._models: dict[str, BaseChatModel] = dict(models or {})
        self._lock = threading.Lock()

    def resolve_id(self, model_id: str) -> str:
        chosen = self.override or model_id
        parse_model_id(chosen)  # fail early with a clear message
        if self.allowed is not None:
            check_model_allowed(chosen, self.allowed)
        return chosen

    def check(self, model_id: str) -> str:
        """The id this pool would load for `model_id`, refused now (UnknownModelError,
        ProviderUnavailableError) if it cannot be loaded; nothing is loaded."""
        chosen = self.resolve_id(model_id)
        if chosen not in self._models:
            check_model_id(chosen, self.options)
        return chosen

    def get(self, model_id: str) -> BaseChatModel:
        chosen = self.resolve_id(model_id)
        with self._lock:
            if chosen not in self._models:
                self._models[chosen] = load_chat_model(chosen, self.options)
            return self._models[chosen]
