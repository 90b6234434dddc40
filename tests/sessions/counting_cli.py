"""`maestro ...` in a child process with a counting scripted model (`scripted:counting`).

Every finished model call appends `<agent>:<round> <prompt hash>` to $COUNT_LOG. With
KILL_AT=<agent>:<round>, that call instead waits until another branch of the same round has
its result on the checkpointer (a pending write), then SIGKILLs the process: a crash in the
middle of a round, after one operator's node finished and before the other's did.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sys
import time
from typing import Any

from maestro.agents.providers import scripted


def _who(text: str, facts: dict[str, Any]) -> str:
    if facts.get("role") == "mediator":
        return "mediator"
    return "qos" if "Premium" in text else "cost"


def _wait_for_other_branch(thread: str, other: str) -> None:
    from maestro.graphs.checkpoints import open_store

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with open_store() as store:
            saved = store.saver.get_tuple(
                {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
            )
        writes = (saved.pending_writes or []) if saved else []
        if any(ch == "proposals" and other in (value or {}) for _, ch, value in writes):
            return
        time.sleep(0.05)
    raise SystemExit("the other branch never finished")


def counting(messages: list[Any], facts: dict[str, Any]) -> str:
    text = "\n".join(str(m.content) for m in messages)
    found = re.search(r"Round (\d+) of at most", text)
    label = f"{_who(text, facts)}:{found.group(1) if found else '?'}"
    if label == os.environ.get("KILL_AT"):
        _wait_for_other_branch(os.environ["THREAD"], os.environ["OTHER"])
        os.kill(os.getpid(), signal.SIGKILL)
    reply = scripted.concede(messages, facts)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    with open(os.environ["COUNT_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{label} {digest}\n")
    return reply


scripted.NAMED_SCRIPTS["counting"] = lambda: counting

if __name__ == "__main__":
    from maestro.cli import main

    sys.exit(main(sys.argv[1:]))
