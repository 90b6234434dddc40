"""The domain manager over real git repositories: commits, dry run, all-or-nothing,
admission, bad input, termination with its dependency check."""

from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import yaml

from maestro.cli import main
from maestro.tools.orchestrator import (
    AdmissionError,
    DependencyError,
    DomainManager,
    IntentError,
    PackageError,
    RepositoryError,
)

from .helpers import EXAMPLES, chain, git_show, heads


def _files(root: Path, repo: str) -> list[str]:
    return git_show(root, repo, "ls-tree -r --name-only main").split()


def test_apply_commits_hydrated_packages_per_edge_naming_the_intent(manager, domain) -> None:
    before = heads(domain)
    result = manager.apply(chain())
    assert result.order == ["backend", "frontend", "probe"]
    after = heads(domain)
    assert after["blueprints.git"] == before["blueprints.git"]
    assert after["edge-1.git"] != before["edge-1.git"] != after["edge-2.git"]
    log = git_show(domain, "edge-2.git", "log -1 --format=%B main")
    assert log.startswith("intent demo: apply frontend, probe on edge-2")
    assert "backend -> frontend -> probe" in log
    assert "demo/backend/deployment.yaml" in _files(domain, "edge-1.git")
    assert "demo/probe/configmap.yaml" in _files(domain, "edge-2.git")
    # The backend's URL, produced by the first service, fed the frontend's setter.
    backend = next(s for s in result.services if s.name == "backend")
    front = yaml.safe_load(
        git_show(domain, "edge-2.git", "show main:demo/frontend/deployment.yaml")
    )
    args = front["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--upstream") + 1] == backend.outputs["url"]
    # The IESD: one PackageVariant per service, upstream pinned to the blueprint commit.
    variants = {v.downstream.package: v for v in result.iesd.variants}
    assert variants["demo/probe"].upstream.revision == after["blueprints.git"]
    front_port = next(s for s in result.services if s.name == "frontend").port
    assert variants["demo/probe"].packageContext["data"]["target"] == (
        f"http://127.0.0.1:{front_port}/"
    )
    # Every hydrated object is one of the Kubernetes kinds a cluster (or Config Sync) takes.
    kinds = set()
    for path in _files(domain, "edge-2.git"):
        if path.endswith(".yaml"):
            for doc in yaml.safe_load_all(git_show(domain, "edge-2.git", f"show main:{path}")):
                kinds.add((doc["apiVersion"], doc["kind"]))
    assert kinds == {
        ("apps/v1", "Deployment"),
        ("v1", "Service"),
        ("v1", "ConfigMap"),
        ("v1", "Namespace"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
    }


def test_dry_run_and_an_unchanged_intent_commit_nothing(manager, domain) -> None:
    before = heads(domain)
    dry = manager.apply(chain(), dry_run=True)
    assert heads(domain) == before and manager.records() == {}
    assert "demo/backend/deployment.yaml" in dry.edges[0].files
    manager.apply(chain())
    applied = heads(domain)
    again = manager.apply(chain())
    assert heads(domain) == applied
    assert all(e.commit is None for e in again.edges)


def test_a_chain_whose_third_service_does_not_fit_changes_no_repository(manager, domain) -> None:
    manager.apply(chain("first"))
    before = heads(domain)
    big = chain("second")
    big["services"]["probe"]["resources"] = {"cpu": "1900m", "memory": "64Mi"}
    with pytest.raises(AdmissionError) as err:
        manager.apply(big)
    assert err.value.intent == "second" and err.value.service == "probe"
    assert "edge edge-2 is full" in str(err.value)
    assert heads(domain) == before
    assert set(manager.records()) == {"first"}
    for work in (domain / "work").iterdir():
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=work, capture_output=True, text=True
        ).stdout
        assert status == ""


@pytest.mark.parametrize(
    ("change", "error", "needle"),
    [
        ({"package": "no-such-blueprint"}, PackageError, "unknown package"),
        ({"package": "chain-backend", "params": {"message": 42}}, PackageError, "must be a string"),
        ({"package": "chain-backend", "params": {"colour": "red"}}, PackageError, "no setter"),
        ({"package": "chain-backend", "edge": "edge-9"}, IntentError, "unknown edge"),
        ({"package": "chain-namespace"}, PackageError, "unknown package"),
    ],
)
def test_bad_services_are_refused_before_any_commit(manager, domain, change, error, needle) -> None:
    before = heads(domain)
    with pytest.raises(error, match=needle) as err:
        manager.apply(chain(backend=change))
    assert err.value.intent == "demo" and err.value.service == "backend"
    assert heads(domain) == before


def test_an_unreachable_remote_is_refused_and_nothing_is_pushed(domain) -> None:
    config = yaml.safe_load((domain / "domain.yaml").read_text())
    config["edges"][1]["repo"] = str(domain / "nowhere" / "edge-2.git")
    (domain / "domain.yaml").write_text(yaml.safe_dump(config))
    before = heads(domain)
    with pytest.raises(RepositoryError, match="cannot clone"):
        DomainManager(domain).apply(chain())
    assert heads(domain) == before


def test_a_dirty_or_diverged_work_clone_is_refused(manager, domain) -> None:
    manager.apply(chain())
    before = heads(domain)
    stray = domain / "work" / "edge-1" / "demo" / "backend" / "extra.yaml"
    stray.write_text("kind: Stray\n")
    with pytest.raises(RepositoryError, match="uncommitted changes"):
        manager.apply(
            chain(
                backend={
                    "package": "chain-backend",
                    "edge": "edge-1",
                    "params": {"message": "changed"},
                }
            )
        )
    subprocess.run(["git", "add", "-A"], cwd=stray.parents[2], check=True)
    subprocess.run(
        ["git", "-c", "user.name=x", "-c", "user.email=x@x", "commit", "-qm", "local"],
        cwd=stray.parents[2],
        check=True,
    )
    with pytest.raises(RepositoryError, match="not on"):
        manager.apply(chain())
    assert heads(domain) == before


def test_a_push_that_fails_on_one_edge_is_undone_on_the_others(manager, domain) -> None:
    manager.apply(chain())
    tree_before = git_show(domain, "edge-1.git", "rev-parse main^{tree}")
    hook = domain / "repos" / "edge-2.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho refused by policy >&2\nexit 1\n")
    hook.chmod(0o755)
    changed = chain(
        backend={"package": "chain-backend", "edge": "edge-1", "params": {"message": "v2"}},
        probe={
            "package": "traffic-probe",
            "edge": "edge-2",
            "after": ["frontend"],
            "params": {"target": "${frontend.url}/x", "interval": 0.2},
        },
    )
    with pytest.raises(RepositoryError, match="reverted on edge-1"):
        manager.apply(changed)
    assert git_show(domain, "edge-1.git", "rev-parse main^{tree}") == tree_before
    assert manager.records()["demo"].intent.services["backend"].params["message"] == "hello"


def test_termination_checks_dependents_then_removes_the_packages(manager, domain) -> None:
    manager.apply(chain("base"))
    user = {
        "name": "user",
        "services": {
            "watch": {
                "package": "traffic-probe",
                "edge": "edge-1",
                "after": ["base/frontend"],
                "params": {"target": "${base/frontend.url}/"},
            }
        },
    }
    result = manager.apply(user)
    assert result.services[0].depends_on == ["base/frontend"]
    before = heads(domain)
    with pytest.raises(DependencyError, match="'watch' of intent 'user' still uses base/frontend"):
        manager.delete("base")
    with pytest.raises(DependencyError, match="service 'frontend': still depends on backend"):
        manager.delete("base", services=["backend"])
    assert heads(domain) == before
    manager.delete("user")
    gone = manager.delete("base")
    assert gone.removed == ["backend", "frontend", "probe"]
    assert not any(p.startswith(("base/", "user/")) for p in _files(domain, "edge-2.git"))
    assert git_show(domain, "edge-2.git", "log -1 --format=%s main").startswith(
        "intent base: terminate"
    )
    assert manager.records() == {}
    with pytest.raises(IntentError, match="no deployed intent"):
        manager.delete("base")


def test_changing_an_intent_drops_removed_services_and_keeps_ports(manager, domain) -> None:
    first = manager.apply(chain())
    ports = {s.name: s.port for s in first.services}
    smaller = chain()
    del smaller["services"]["probe"]
    second = manager.apply(smaller)
    assert {s.name: s.port for s in second.services} == {
        k: ports[k] for k in ("backend", "frontend")
    }
    assert not any(p.startswith("demo/probe/") for p in _files(domain, "edge-2.git"))


def test_placement_picks_the_edge_with_most_room(manager) -> None:
    manager.apply(
        {
            "name": "heavy",
            "services": {
                "a": {"package": "chain-backend", "edge": "edge-1", "resources": {"cpu": "1"}}
            },
        }
    )
    result = manager.apply({"name": "free", "services": {"b": {"package": "chain-backend"}}})
    assert result.services[0].edge == "edge-2"


class _FakeProm(BaseHTTPRequestHandler):
    values: dict[str, float] = {}

    def do_GET(self) -> None:  # noqa: N802
        from urllib.parse import parse_qs, urlparse

        expr = parse_qs(urlparse(self.path).query)["query"][0]
        value = self.values["cpu" if "cpu" in expr else "mem"]
        body = {
            "status": "success",
            "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, str(value)]}]},
        }
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a: object) -> None:
        pass


def test_admission_counts_what_prometheus_measures(domain) -> None:
    server = HTTPServer(("127.0.0.1", 0), _FakeProm)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = yaml.safe_load((domain / "domain.yaml").read_text())
        config["monitoring"]["prometheus_url"] = f"http://127.0.0.1:{server.server_port}"
        (domain / "domain.yaml").write_text(yaml.safe_dump(config))
        _FakeProm.values = {"cpu": 1.6, "mem": 1e8}  # 1.6 cores busy: 150m left per edge
        intent = {
            "name": "m",
            "services": {"a": {"package": "chain-backend", "resources": {"cpu": "200m"}}},
        }
        with pytest.raises(AdmissionError, match="no edge has room"):
            DomainManager(domain).apply(intent)
        _FakeProm.values = {"cpu": 0.1, "mem": 1e8}
        assert DomainManager(domain).apply(intent).services[0].name == "a"
    finally:
        server.shutdown()


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ("name: x\nservices:\n  a: {package: nope}\n", "intent 'x', service 'a': unknown package"),
        (
            "name: x\nservices:\n  a: {package: ran-emulator, params: {cqi: high}}\n",
            "intent 'x', service 'a': setter 'cqi' must be an integer",
        ),
        (
            "name: x\nservices:\n  a: {package: ran-emulator, resources: {cpu: '64'}}\n",
            "intent 'x', service 'a': no edge has room",
        ),
        (
            "name: x\nservices:\n  a: {package: ran-emulator, after: [b]}\n"
            "  b: {package: ran-emulator, after: [a]}\n",
            "cycle: a -> b -> a",
        ),
        ("name: x\nservices: [\n", "not valid JSON/YAML"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(domain, tmp_path, capsys, doc, needle) -> None:
    before = heads(domain)
    path = tmp_path / "intent.yaml"
    path.write_text(doc)
    assert main(["orchestrator", "intent", "apply", str(path), "--domain", str(domain)]) == 2
    err = capsys.readouterr().err
    assert needle in " ".join(err.split()) and "Traceback" not in err
    assert heads(domain) == before


def test_cli_apply_status_and_delete(domain, tmp_path, capsys) -> None:
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(chain()))
    assert (
        main(
            [
                "orchestrator",
                "intent",
                "apply",
                str(path),
                "-d",
                str(domain),
                "--dry-run",
                "--json",
                "-",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["dry_run"] is True
    assert main(["orchestrator", "intent", "apply", str(path), "-d", str(domain)]) == 0
    assert main(["orchestrator", "status", "-d", str(domain), "--json", "-"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["intents"]["demo"]["order"] == ["backend", "frontend", "probe"]
    assert status["edges"][0]["in_sync"] is False  # no reconciler has applied it yet
    assert main(["orchestrator", "intent", "delete", "demo", "-d", str(domain)]) == 0
    assert main(["orchestrator", "intent", "delete", "demo", "-d", str(domain)]) == 2
    assert "no deployed intent" in capsys.readouterr().err
    assert main(["orchestrator", "status", "-d", str(tmp_path / "none")]) == 2


def test_edge_values_in_the_domain_set_setters_per_edge(domain) -> None:
    config = yaml.safe_load((domain / "domain.yaml").read_text())
    config["edges"][1]["values"] = {"version": "0.2-edge2"}
    (domain / "domain.yaml").write_text(yaml.safe_dump(config))
    result = DomainManager(domain).apply(chain())
    images = {}
    for edge in ("edge-1", "edge-2"):
        for path in _files(domain, f"{edge}.git"):
            if path.endswith("deployment.yaml"):
                doc = yaml.safe_load(git_show(domain, f"{edge}.git", f"show main:{path}"))
                images[path.split("/")[1]] = doc["spec"]["template"]["spec"]["containers"][0][
                    "image"
                ]
    assert images == {
        "backend": "maestro/chain-backend:0.1",
        "frontend": "maestro/chain-frontend:0.2-edge2",
        "probe": "maestro/traffic-probe:0.2-edge2",
    }
    variant = next(v for v in result.iesd.variants if v.downstream.package == "demo/probe")
    assert variant.packageContext["data"]["version"] == "0.2-edge2"


def test_a_termination_intent_file_removes_services(domain, tmp_path, capsys) -> None:
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(chain("demo-chain")))
    assert main(["orchestrator", "intent", "apply", str(path), "-d", str(domain)]) == 0
    stop = EXAMPLES / "terminate-chain.yaml"
    assert main(["orchestrator", "intent", "apply", str(stop), "-d", str(domain)]) == 0
    assert "removed probe" in " ".join(capsys.readouterr().err.split())
    assert not any(p.startswith("demo-chain/probe/") for p in _files(domain, "edge-2.git"))
    assert DomainManager(domain).records()["demo-chain"].order == ["backend", "frontend"]


def test_a_repository_moved_in_domain_yaml_is_followed(manager, domain, tmp_path) -> None:
    manager.apply(chain())
    moved = tmp_path / "server" / "edge-1.git"
    moved.parent.mkdir()
    subprocess.run(
        ["git", "clone", "-q", "--bare", str(domain / "repos" / "edge-1.git"), str(moved)],
        check=True,
    )
    config = yaml.safe_load((domain / "domain.yaml").read_text())
    config["edges"][0]["repo"] = str(moved)
    (domain / "domain.yaml").write_text(yaml.safe_dump(config))
    old_head = heads(domain)["edge-1.git"]
    DomainManager(domain).apply(
        chain(
            backend={"package": "chain-backend", "edge": "edge-1", "params": {"message": "moved"}}
        )
    )
    assert heads(domain)["edge-1.git"] == old_head  # the old remote is left alone
    log = subprocess.run(
        ["git", "--git-dir", str(moved), "log", "-1", "--format=%s", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert log.startswith("intent demo: apply backend on edge-1")


def test_apply_refuses_what_is_not_an_intent(manager) -> None:
    with pytest.raises(IntentError, match="expected a mapping"):
        manager.apply("demo.yaml")  # type: ignore[arg-type]
