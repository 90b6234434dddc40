"""The allow-list a served graph checks before it loads a model id."""

from __future__ import annotations

import pytest

from maestro.agents.providers import UnknownModelError
from maestro.agents.providers.allow import (
    ALLOWED_MODELS_ENV,
    SERVED_DEFAULT,
    ModelNotAllowedError,
    allowed_model_ids,
    canonical_model_id,
    check_model_allowed,
    is_model_allowed,
)


def test_default_allows_the_shipped_and_scripted_models_only() -> None:
    allow = allowed_model_ids(environ={})
    assert allow == SERVED_DEFAULT
    for ok in ("local", "local:smollm2", "local:SmolLM2-135M", "local:gemma", "scripted:hostile"):
        assert is_model_allowed(ok, allow), ok
    for refused in ("local:/etc/shadow", "local:../x.gguf", "openai:gpt-4o", "scriptedx:a"):
        with pytest.raises(UnknownModelError):
            check_model_allowed(refused, allow)


def test_refusal_is_one_line_naming_the_variable() -> None:
    with pytest.raises(ModelNotAllowedError) as info:
        check_model_allowed("local:/etc/shadow", SERVED_DEFAULT)
    text = str(info.value)
    assert "\n" not in text and ALLOWED_MODELS_ENV in text and "/etc/shadow" in text


def test_environment_replaces_the_default() -> None:
    env = {ALLOWED_MODELS_ENV: " openai:gpt-4o-mini , local:/srv/models/* "}
    allow = allowed_model_ids(environ=env)
    assert allow == ("openai:gpt-4o-mini", "local:/srv/models/*")
    assert check_model_allowed("openai:gpt-4o-mini", allow) == "openai:gpt-4o-mini"
    assert is_model_allowed("local:/srv/models/a.gguf", allow)
    assert not is_model_allowed("local", allow)
    assert not is_model_allowed("openai:gpt-4o", allow)


def test_a_path_cannot_climb_out_of_an_allowed_folder() -> None:
    allow = ("local:/srv/models/*",)
    assert not is_model_allowed("local:/srv/models/../../etc/shadow", allow)
    assert not is_model_allowed("local:/srv/models-evil/x.gguf", allow)
    assert canonical_model_id("local:/srv/models/./a/../b.gguf") == "local:/srv/models/b.gguf"


def test_star_allows_everything_and_blank_means_default() -> None:
    assert is_model_allowed(
        "local:/anything.gguf", allowed_model_ids(environ={ALLOWED_MODELS_ENV: "*"})
    )
    assert allowed_model_ids(environ={ALLOWED_MODELS_ENV: " , "}) == SERVED_DEFAULT


def test_check_reads_the_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOWED_MODELS_ENV, "scripted:optimizer")
    assert check_model_allowed("scripted:optimizer") == "scripted:optimizer"
    with pytest.raises(ModelNotAllowedError):
        check_model_allowed("local")


@pytest.mark.parametrize("entry", ["bogus", "nope:*", "openai:"])
def test_a_malformed_entry_is_a_clear_configuration_error(entry: str) -> None:
    with pytest.raises(UnknownModelError, match=ALLOWED_MODELS_ENV):
        allowed_model_ids(environ={ALLOWED_MODELS_ENV: entry})


def test_a_malformed_id_is_refused_as_unknown() -> None:
    with pytest.raises(UnknownModelError):
        check_model_allowed("", SERVED_DEFAULT)
