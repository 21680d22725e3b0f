"""The import direction of ARCHITECTURE.md, checked by reading every module's imports.

- hotline/ imports no feature package at module level (create_app may, inside its body);
- between features one direction only: intake -> routing -> followup;
- pure modules import neither Flask nor the database session.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["hotline", "intake", "routing", "followup"]
# A package may import the packages listed for it (and itself), never those to its left.
ALLOWED = {
    "hotline": {"hotline", "config"},
    "intake": {"hotline", "config", "intake", "routing", "followup"},
    "routing": {"hotline", "config", "routing", "followup"},
    "followup": {"hotline", "config", "followup"},
}
PURE = ["hotline/phones.py", "hotline/timeutil.py", "hotline/opening_hours.py", "hotline/smsrules.py",
        "hotline/dashboard/metrics.py"]
PURE += ["followup/callback_slots.py"]
PURE += ["followup/survey_parse.py"]
PURE += ["hotline/dashboard/case_metrics.py"]
IMPURE_ROOTS = {"flask", "flask_sqlalchemy", "flask_login", "hotline.extensions", "hotline.models"}


def module_level_imports(path):
    """Top-level names imported outside any function or class body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in tree.body:
        for sub in ast.walk(node) if isinstance(node, ast.If | ast.Try) else [node]:
            if isinstance(sub, ast.Import):
                names += [alias.name for alias in sub.names]
            elif isinstance(sub, ast.ImportFrom) and sub.level == 0 and sub.module:
                names.append(sub.module)
    return names


def project_sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path


@pytest.mark.parametrize(("package", "path"), list(project_sources()), ids=lambda v: str(v))
def test_imports_follow_the_direction(package, path):
    wrong = [
        name for name in module_level_imports(path)
        if name.split(".")[0] in PACKAGES and name.split(".")[0] not in ALLOWED[package]
    ]
    assert wrong == [], f"{path.relative_to(ROOT)} imports {wrong} against the direction"


@pytest.mark.parametrize("relpath", PURE)
def test_pure_modules_stay_pure(relpath):
    path = ROOT / relpath
    if not path.exists():
        pytest.skip(f"{relpath} not written yet")
    impure = [
        name for name in module_level_imports(path)
        if any(name == root or name.startswith(root + ".") for root in IMPURE_ROOTS)
    ]
    assert impure == [], f"{relpath} is meant to be pure but imports {impure}"
