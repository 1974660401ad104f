"""environment.yml (conda) must list every dependency pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _conda() -> tuple[dict[str, str], dict[str, str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda, pip = {}, {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for p in dep.get("pip", []):
                if not p.startswith("-"):
                    pip[_name(p)] = p
        else:
            conda[_name(dep)] = dep
    return conda, pip


def _spec(req: str) -> str:
    return req.strip()[len(_name(req)):].strip()


def test_every_runtime_and_dev_dependency_is_in_environment_yml():
    proj = _pyproject()["project"]
    wanted = list(proj["dependencies"]) + list(proj["optional-dependencies"]["dev"])
    conda, pip = _conda()
    missing = [r for r in wanted if _name(r) not in conda and _name(r) not in pip]
    assert not missing, f"add to environment.yml: {missing}"


def test_version_floors_agree():
    proj = _pyproject()["project"]
    conda, pip = _conda()
    both = {**conda, **pip}
    for req in list(proj["dependencies"]) + list(proj["optional-dependencies"]["dev"]):
        assert _spec(both[_name(req)]) == _spec(req), (req, both[_name(req)])


def test_conda_environment_has_quarto_and_installs_the_package():
    conda, _ = _conda()
    assert "quarto" in conda
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip


def test_constraints_pin_every_direct_dependency():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if "==" in line:
            n, v = line.split("==", 1)
            pins[n.strip().lower().replace("_", "-")] = v.strip()
    proj = _pyproject()["project"]
    for req in list(proj["dependencies"]) + list(proj["optional-dependencies"]["dev"]):
        assert _name(req) in pins, f"constraints.txt does not pin {_name(req)}"
