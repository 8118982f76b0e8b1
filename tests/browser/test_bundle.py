"""The committed page is what its sources build to; the sources type-check and are formatted."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from trustshare.bureau.api.patient_page import static_dir

pytestmark = pytest.mark.node

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "web" / "patient"


def _node() -> str:
    node = shutil.which("node")
    assert node is not None, "node is not on PATH: install Node.js 20+ (see README)"
    return node


def test_committed_page_is_not_stale(tmp_path: Path) -> None:
    subprocess.run(
        [_node(), str(SOURCES / "build.mjs"), "--outdir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    built = sorted(path.name for path in tmp_path.iterdir())
    assert built == ["app.js", "index.html", "style.css"]
    committed = sorted(path.name for path in static_dir().iterdir())
    assert committed == built, "the static folder holds other files than the build makes"
    stale = [
        name
        for name in built
        if (tmp_path / name).read_bytes() != (static_dir() / name).read_bytes()
    ]
    assert not stale, f"{stale} stale: run `make patient-page` and commit the result"


def _run_tool(name: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    tool = ROOT / "node_modules" / ".bin" / name
    assert tool.exists(), f"{name} is missing: run `make setup`"
    return subprocess.run([str(tool), *arguments], cwd=ROOT, capture_output=True, text=True)


def test_page_sources_type_check() -> None:
    checked = _run_tool("tsc", "-p", str(SOURCES / "tsconfig.json"))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_page_sources_are_formatted() -> None:
    checked = _run_tool("prettier", "--check", str(SOURCES))
    assert checked.returncode == 0, (
        f"{checked.stdout}{checked.stderr}\nrun `node_modules/.bin/prettier --write web/patient`"
    )
