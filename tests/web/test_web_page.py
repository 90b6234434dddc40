"""The chat page in a real headless Chromium: start a session, type, watch it live, reload in
the middle, approve enforcement; tokens bind a seat to its holder (401/403); bad requests get
a clear JSON error and leave the session intact. A screenshot lands in the test's folder."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.web.conftest import Browser

PRIVATE = "premium video users need close to 100 Mbps"  # qos's intent, two-operators.yaml


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_page_session_with_reload_and_approval(web: str, browser: Browser, tmp_path: Path) -> None:
    browser.open(web + "/")
    browser.js("localStorage.setItem('maestro-token', 'tok-cost')")
    browser.open(web + "/")
    browser.js(
        """(() => { const f = document.getElementById('new');
        f.seat.value = 'cost'; f.mode.value = 'manual'; f.model.value = 'scripted:optimizer';
        f.approve_enforcement.checked = true; f.requestSubmit(); })()"""
    )
    question = "document.getElementById('question').textContent"
    browser.until(f"{question}.includes('Round 1: your proposal for cost')")
    session_id = browser.js("decodeURIComponent(location.hash.slice(1))")

    def say(text: str) -> None:
        browser.js(
            f"""(() => {{ document.getElementById('text').value = {json.dumps(text)};
            document.getElementById('say').requestSubmit(); }})()"""
        )

    say("what does the optimizer recommend?")
    browser.until(
        "document.getElementById('chat').innerText.includes('theoretical consensus is 60')"
    )
    say("45 because our video tier needs it")
    browser.until(f"{question}.includes('Round 2: your proposal for cost')")
    assert browser.js("document.getElementById('rounds').tBodies[0].rows.length") == 1

    # A reload in the middle of the session: the page reopens it where it stands.
    browser.call("Page.reload")
    browser.until("document.readyState === 'complete'")
    browser.until(f"{question}.includes('Round 2: your proposal for cost')")
    assert "Accepted: 45 Mbps" in browser.js("document.getElementById('chat').innerText")
    assert browser.js("decodeURIComponent(location.hash.slice(1))") == session_id

    say("60")
    browser.until(f"{question}.includes('Enforce 60 Mbps on the cell?')")
    assert "rRMPolicyMinRatio" in browser.js("document.getElementById('policy').textContent")
    browser.screenshot(tmp_path / "session.png")
    assert (tmp_path / "session.png").stat().st_size > 5000
    browser.js("document.getElementById('approve').click()")
    browser.until(
        "document.getElementById('status').textContent.includes('enforcement: policy applied')"
    )
    browser.screenshot(tmp_path / "session-done.png")
    page = browser.js("document.body.innerText")
    assert PRIVATE not in page and "business_intent" not in page

    # Another operator's token cannot open it, on the page or through the API.
    browser.js("localStorage.setItem('maestro-token', 'tok-qos')")
    browser.call("Page.reload")
    browser.until("document.getElementById('notice').textContent.includes('not qos')")
    assert session_id not in browser.js("document.getElementById('sessions').innerText")


def test_tokens_bind_seats(web: str) -> None:
    created = httpx.post(
        web + "/api/sessions",
        json={
            "scenario": "two-operators",
            "seat": "cost",
            "mode": "manual",
            "model": "scripted:optimizer",
        },
        headers=auth("tok-cost"),
    )
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    assert httpx.get(f"{web}/api/sessions/{sid}").status_code == 401
    assert httpx.get(f"{web}/api/sessions/{sid}", headers=auth("wrong")).status_code == 401
    for method, path in [
        ("GET", f"/api/sessions/{sid}"),
        ("POST", f"/api/sessions/{sid}/messages"),
        ("GET", f"/api/sessions/{sid}/events"),
        ("DELETE", f"/api/sessions/{sid}"),
    ]:
        denied = httpx.request(method, web + path, json={"text": "1"}, headers=auth("tok-qos"))
        assert denied.status_code == 403, (method, path, denied.text)
    taken = httpx.post(
        web + "/api/sessions",
        json={"scenario": "two-operators", "seat": "cost", "mode": "manual"},
        headers=auth("tok-qos"),
    )
    assert taken.status_code == 403
    mine = httpx.get(web + "/api/sessions", headers=auth("tok-qos")).json()
    assert sid not in [row["id"] for row in mine]
    view = httpx.get(f"{web}/api/sessions/{sid}", headers=auth("tok-cost")).text
    assert PRIVATE not in view and "business_intent" not in view


def test_bad_requests_are_clear_and_harmless(web: str) -> None:
    h = auth("tok-cost")
    created = httpx.post(
        web + "/api/sessions",
        json={
            "scenario": "two-operators",
            "seat": "cost",
            "mode": "manual",
            "model": "scripted:optimizer",
        },
        headers=h,
    ).json()
    sid = created["id"]
    cases = [
        (httpx.post(f"{web}/api/sessions/{sid}/messages", content=b"\xff\xfe\x00", headers=h), 400),
        (httpx.post(f"{web}/api/sessions/{sid}/messages", content=b"x" * 70_000, headers=h), 413),
        (httpx.post(f"{web}/api/sessions/{sid}/messages", json={"text": 5}, headers=h), 400),
        (httpx.post(f"{web}/api/sessions/{sid}/messages", json=[1], headers=h), 400),
        (httpx.get(f"{web}/api/sessions/nope", headers=h), 404),
        (
            httpx.post(
                web + "/api/sessions",
                json={"scenario": "../../etc/passwd", "seat": "cost"},
                headers=h,
            ),
            400,
        ),
        (
            httpx.post(
                web + "/api/sessions",
                json={"scenario": "two-operators", "seat": "cost", "mode": "often"},
                headers=h,
            ),
            400,
        ),
        (
            httpx.post(
                web + "/api/sessions",
                json={"scenario": "two-operators", "seat": "cost", "model": "local:/etc/passwd"},
                headers=h,
            ),
            400,
        ),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert set(response.json()) == {"error"} and "Traceback" not in response.text
    # The session is intact: it still waits for round 1, and a real proposal still works.
    state = httpx.get(f"{web}/api/sessions/{sid}", headers=h).json()
    assert not state["rounds"]
