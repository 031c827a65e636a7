"""requirements.lock: what `make setup` installs, so a fresh machine gets the versions CI passed with."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.paths import REPO_ROOT

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;]+)$")


def _locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for number, line in enumerate((REPO_ROOT / "requirements.lock").read_text().splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        match = _PIN.match(text)
        assert match, f"requirements.lock line {number} is not an exact pin (name==version): {line!r}"
        pins[canonicalize_name(match["name"])] = match["version"]
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    extras = [spec for specs in project.get("optional-dependencies", {}).values() for spec in specs]
    return [Requirement(spec) for spec in [*project["dependencies"], *extras]]


def test_every_declared_dependency_is_locked_at_a_version_it_accepts() -> None:
    locked = _locked()
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in locked, (
            f"{requirement} from pyproject.toml is missing from requirements.lock: run make lock"
        )
        pinned = locked[name]
        assert requirement.specifier.contains(pinned, prereleases=True), (
            f"requirements.lock pins {name}=={pinned}, outside pyproject.toml's {requirement}: run make lock"
        )


def test_torch_is_locked_at_the_builds_on_the_course_machines() -> None:
    locked = _locked()
    assert (locked["torch"], locked["torchvision"]) == ("2.14.1", "0.29.1")


def test_installing_the_package_keeps_the_torch_a_student_has() -> None:
    """pyproject.toml gives ranges, so pip leaves a student's torch 2.x alone; the lock pins the build."""
    declared = {canonicalize_name(r.name): r.specifier for r in _declared()}
    for name, older in (("torch", "2.0.1"), ("torchvision", "0.15.2")):
        assert declared[name].contains(older), f"pyproject.toml's {name}{declared[name]} refuses {older}"
        assert declared[name].contains(_locked()[name]), f"pyproject.toml's {name} refuses the locked build"
        assert all(spec.operator != "==" for spec in declared[name]), f"{name} is pinned in pyproject.toml"


def test_the_environment_was_installed_from_the_lock() -> None:
    drift = []
    for name, pinned in sorted(_locked().items()):
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = "not installed"
        if installed != pinned:
            drift.append(f"{name}: locked {pinned}, installed {installed}")
    assert not drift, "the environment differs from requirements.lock (run make setup):\n" + "\n".join(drift)
