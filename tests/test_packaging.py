"""An installed wheel carries the demo's example: `nianbao demo` runs from any folder, not only a checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _build_wheel(outdir: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(outdir)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(outdir.glob("nianbao-*.whl"))


@pytest.mark.slow
def test_demo_runs_from_an_installed_wheel(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith("data/examples/大榭街道-2024/departments.csv") for n in names)
    assert sum(n.endswith(".xlsx") and "/data/examples/大榭街道-2024/" in n for n in names) == 6
    region = [n for n in names if "/data/examples/示例区-2024/" in n]
    assert sum(n.endswith(".xlsx") for n in region) == 3 and any(n.endswith(".html") for n in region)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # Dependencies come from the test environment's site-packages, which holds no nianbao of its own
    # (the editable install is a .pth file, not read from PYTHONPATH).
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import nianbao; print(nianbao.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert str(venv) in where

    done = subprocess.run(
        [str(venv / "bin" / "nianbao"), "demo", "--out", "演示"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "找不到" not in done.stdout + done.stderr
    assert list((elsewhere / "演示").glob("*.docx"))

    region_demo = subprocess.run(
        [str(venv / "bin" / "nianbao"), "demo", "--region", "--out", "区域"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert region_demo.returncode == 0, region_demo.stderr
    assert list((elsewhere / "区域").glob("*.docx")) and list((elsewhere / "区域").glob("*.html"))
