"""`local:smollm2-135m-q8` runs from a Q8_0 copy (maestro.agents.providers.batch_copy)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from maestro.agents.providers import make_local_model
from maestro.agents.providers.batch_copy import q8_copy
from maestro.agents.providers.catalog import cache_dir, smollm2_path

pytestmark = [pytest.mark.integration, pytest.mark.llm]

PROMPT = (
    "You negotiate the throughput of a shared 5G cell for a budget operator. The cell has a "
    "capacity of 134 Mbps. Round 2 of at most 5. Last round you proposed 20 Mbps; operator "
    "qos proposed 100 Mbps. Optimizer's recommended value for you: 60 Mbps."
)


def file_type(path: Path) -> int:
    """general.file_type from the GGUF's metadata (7 = mostly Q8_0, 3 = mostly Q4_1)."""
    from llama_cpp import Llama

    llama = Llama(model_path=str(path), n_ctx=256, vocab_only=True, verbose=False)
    try:
        return int(llama.metadata["general.file_type"])
    finally:
        llama.close()


def test_the_q8_id_runs_from_a_copy_made_once_and_local_runs_the_shipped_file(
    tmp_path: Path,
) -> None:
    source = smollm2_path()
    copy = q8_copy(source, tmp_path)
    assert copy.parent == tmp_path and copy != source
    assert file_type(source) == 3 and file_type(copy) == 7
    made = copy.stat().st_mtime_ns
    assert q8_copy(source, tmp_path) == copy and copy.stat().st_mtime_ns == made
    assert not list(tmp_path.glob("*.part-*"))  # nothing half-written left behind
    assert make_local_model("smollm2-q8").model_path.startswith(str(cache_dir()))
    assert make_local_model("").model_path == str(smollm2_path())


def test_the_copy_chooses_the_next_token_as_the_shipped_file_does(tmp_path: Path) -> None:
    from llama_cpp import Llama

    choices = []
    for path in (smollm2_path(), q8_copy(smollm2_path(), tmp_path)):
        llama = Llama(model_path=str(path), n_ctx=512, logits_all=True, verbose=False)
        tokens = llama.tokenize(PROMPT.encode(), add_bos=False)
        llama.eval(tokens)
        choices.append(np.asarray(llama.scores[: len(tokens)]).argmax(axis=1))
        llama.close()
    assert (choices[0] == choices[1]).mean() >= 0.9  # 97 % on the README's 1,500 tokens


def test_without_a_writable_cache_the_shipped_file_runs_and_the_log_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING):
        assert q8_copy(smollm2_path(), blocked) == smollm2_path()
    assert "as shipped" in caplog.text
