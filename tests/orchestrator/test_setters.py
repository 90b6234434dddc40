"""kpt setters applied with ruamel.yaml, blueprint hydration, and kpt itself reading them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from maestro.tools.orchestrator import PackageError, apply_setters, hydrate, load_catalogue
from maestro.tools.orchestrator.manifests import ManifestError, check_manifest
from maestro.tools.orchestrator.setters import dump_all, load_all, setter_names

from .helpers import ROOT

BLUEPRINTS = ROOT / "tools" / "orchestrator" / "blueprints"

DOC = """\
# a comment at the top
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # kpt-set: ${name}
spec:
  replicas: 1 # kpt-set: ${replicas}
  template:
    spec:
      containers:
        - name: c
          image: nginx:1.0 # kpt-set: nginx:${tag}
          args:
            - "8080" # kpt-set: ${port}
            - --keep
          env:
            - name: A
              value: x # kpt-set: ${missing}
"""


def test_setters_replace_values_and_keep_every_comment() -> None:
    docs = load_all(DOC)
    assert setter_names(docs) == {"name", "replicas", "tag", "port", "missing"}
    apply_setters(docs, {"name": "ran", "replicas": 3, "tag": "1.2", "port": 9000})
    out = dump_all(docs)
    assert "# a comment at the top" in out
    assert "name: ran # kpt-set: ${name}" in out
    assert "image: nginx:1.2 # kpt-set: nginx:${tag}" in out
    data = yaml.safe_load(out)
    spec = data["spec"]["template"]["spec"]["containers"][0]
    assert data["spec"]["replicas"] == 3  # an integer field stays an integer
    assert spec["args"] == ["9000", "--keep"]  # a string field stays a string
    assert spec["env"][0]["value"] == "x"  # a setter without a value leaves the field


def test_a_string_that_looks_like_a_number_is_quoted() -> None:
    docs = load_all("a: x # kpt-set: ${v}\n")
    apply_setters(docs, {"v": "007"})
    assert yaml.safe_load(dump_all(docs)) == {"a": "007"}


def test_hydration_is_idempotent_because_the_comments_stay() -> None:
    docs = load_all(DOC)
    values = {"name": "ran", "replicas": 3, "tag": "1.2", "port": 9000}
    apply_setters(docs, values)
    once = dump_all(docs)
    again = load_all(once)
    apply_setters(again, values)
    assert dump_all(again) == once


def test_catalogue_blueprints_are_typed_and_hydrate_to_valid_manifests() -> None:
    catalogue = load_catalogue(BLUEPRINTS)
    for name in (
        "ran-emulator",
        "traffic-probe",
        "prometheus-scraper",
        "chain-backend",
        "chain-frontend",
    ):
        bp = catalogue[name]
        assert bp.info.kind == "cnf" and bp.info.setters["port"].type == "integer"
        files = hydrate(
            bp,
            {"name": "svc", "namespace": "ns", "port": 20005},
            package=f"ns/{name}",
            namespace="ns",
        )
        kinds = {d["kind"] for t in files.values() for d in yaml.safe_load_all(t)}
        assert {"Deployment", "Service", "Kptfile"} <= kinds
        for text in files.values():
            assert "kpt-set:" in text or "setters" in text or "Kptfile" in text


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"cqi": "high"}, "must be an integer"),
        ({"cqi": 99}, "<= 15"),
        ({"cqi": True}, "must be an integer"),
        ({"speed": "fast"}, "must be a number"),
        ({"colour": "red"}, "no setter 'colour'"),
        ({"name": "Not_A_Name"}, "not a valid Kubernetes name"),
    ],
)
def test_wrong_setter_values_are_refused_naming_intent_and_service(values, needle) -> None:
    bp = load_catalogue(BLUEPRINTS)["ran-emulator"]
    with pytest.raises(PackageError, match=needle) as err:
        hydrate(
            bp,
            {"name": "ran", "namespace": "ns", **values},
            package="ns/ran",
            namespace="ns",
            intent="i",
            service="ran",
        )
    assert str(err.value).startswith("intent 'i', service 'ran':")


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}, "unsupported kind"),
        (
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "s", "namespace": "ns"},
                "spec": {"ports": [{"port": 70000}]},
            },
            "port",
        ),
        (
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "c", "namespace": "other"},
            },
            "namespace ns",
        ),
        (
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "c", "namespace": "ns"},
                "data": {"k": "${unset}"},
            },
            "has no value",
        ),
    ],
)
def test_manifest_checks_refuse_what_a_cluster_would(doc, needle) -> None:
    with pytest.raises(ManifestError, match=needle):
        check_manifest(doc, namespace="ns", path="p.yaml")


def _strip(item: dict) -> dict:
    """kpt adds path/index annotations when it reads a package; drop them to compare."""
    meta = item.get("metadata", {})
    notes = {
        k: v
        for k, v in (meta.get("annotations") or {}).items()
        if not k.startswith(
            (
                "config.kubernetes.io/path",
                "config.kubernetes.io/index",
                "internal.config.kubernetes.io/",
            )
        )
    }
    if notes:
        meta["annotations"] = notes
    else:
        meta.pop("annotations", None)
    return item


def _write(files: dict[str, str], folder: Path) -> None:
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)


@pytest.mark.skipif(shutil.which("kpt") is None, reason="the kpt binary is not installed")
def test_kpt_reads_the_hydrated_package_as_we_wrote_it(tmp_path: Path) -> None:
    bp = load_catalogue(BLUEPRINTS)["traffic-probe"]
    files = hydrate(
        bp,
        {"name": "probe", "namespace": "chain", "port": 20010, "target": "http://127.0.0.1:20009/"},
        package="chain/probe",
        namespace="chain",
        upstream={"repo": "/repos/blueprints.git", "commit": "0" * 40},
    )
    pkg = tmp_path / "probe"
    _write(files, pkg)
    tree = subprocess.run(["kpt", "pkg", "tree", str(pkg)], capture_output=True, text=True)
    assert tree.returncode == 0, tree.stderr
    assert "Deployment chain/probe" in tree.stdout and "Service chain/probe" in tree.stdout
    out = subprocess.run(["kpt", "fn", "source", str(pkg)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    seen = sorted(
        (_strip(i) for i in yaml.safe_load(out.stdout)["items"]),
        key=lambda d: (d["kind"], d["metadata"]["name"]),
    )
    ours = sorted(
        (d for t in files.values() for d in yaml.safe_load_all(t)),
        key=lambda d: (d["kind"], d["metadata"]["name"]),
    )
    assert seen == ours


def _docker_runs() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@pytest.mark.skipif(
    shutil.which("kpt") is None or not _docker_runs(),
    reason="kpt's apply-setters function needs kpt and a running docker daemon",
)
def test_kpt_apply_setters_agrees_with_our_hydration(tmp_path: Path) -> None:  # pragma: no cover
    bp = load_catalogue(BLUEPRINTS)["ran-emulator"]
    values = {"name": "ran", "namespace": "chain", "port": 20011, "cqi": 9}
    ours = hydrate(bp, values, package="chain/ran", namespace="chain")
    pkg = tmp_path / "ran"
    _write(bp.files, pkg)
    args = [f"{k}={v}" for k, v in {**bp.info.defaults, **values}.items()]
    run = subprocess.run(
        [
            "kpt",
            "fn",
            "eval",
            str(pkg),
            "--image",
            "gcr.io/kpt-fn/apply-setters:v0.2.0",
            "--",
            *args,
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    for rel in ("deployment.yaml", "service.yaml"):
        assert yaml.safe_load((pkg / rel).read_text()) == yaml.safe_load(ours[rel])


TRICKY = [
    "a: b",
    "#x",
    "yes",
    "007",
    "",
    "é ü",
    "[x]",
    "-x",
    "- x",
    "x #y",
    "1e3",
    "~",
    "http://h:1/p?q=1",
    '{"a": 1}',
    "tab\there",
    "line\nbreak",
    "'quoted'",
    "null",
]


@pytest.mark.parametrize("shift", range(0, len(TRICKY), 3))
def test_compiled_hydration_gives_the_same_data_as_the_ruamel_round_trip(shift: int) -> None:
    from maestro.tools.orchestrator.setters import compile_template, fill, read_all

    catalogue = load_catalogue(BLUEPRINTS)
    for name in ("ran-emulator", "traffic-probe", "prometheus-scraper", "chain-frontend"):
        bp = catalogue[name]
        values = {**bp.info.defaults}
        strings = [n for n, spec in bp.info.setters.items() if spec.type == "string"]
        for i, setter in enumerate(strings):  # each string setter gets another tricky value
            values[setter] = TRICKY[(shift + i) % len(TRICKY)]
        for text in bp.resource_files().values():
            template = compile_template(text)
            assert template is not None
            docs = load_all(text)
            apply_setters(docs, values)
            slow = dump_all(docs)
            fast = fill(template, values)
            assert read_all(fast) == read_all(slow)
            comments = [ln.split("# kpt-set:")[1] for ln in slow.splitlines() if "# kpt-set:" in ln]
            assert [
                ln.split("# kpt-set:")[1] for ln in fast.splitlines() if "# kpt-set:" in ln
            ] == comments
