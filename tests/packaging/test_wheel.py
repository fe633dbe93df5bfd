"""The wheel, installed outside the checkout, ships every file under codeeff/ and serves every codeeff task.

Built from the checkout's files (tracked and new, as `git ls-files` lists them) with `pip wheel`, installed into a
fresh venv (no system site-packages, no PYTHONPATH, run from a temporary directory). Its dependencies come from the
running environment through a .pth line (directories named in a .pth are put on sys.path without processing the .pth
files inside them, so the checkout's editable install of codeeff stays invisible); the test asserts that codeeff is
imported from the wheel.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from codeeff_support import REPO

pytestmark = pytest.mark.slow

TASK_LINE = re.compile(r"^(?:task|group):[ \t]*(\S+)[ \t]*$", re.MULTILINE)


def _checkout_files() -> list[str]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout: the wheel test builds from the files git lists")
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted({name for name in listing.split("\0") if name and (REPO / name).is_file()})


def _codeeff_task_names() -> set[str]:
    """Task and group names declared by the YAML files under codeeff/tasks (templates declare none)."""
    names: set[str] = set()
    for path in (REPO / "codeeff" / "tasks").rglob("*"):
        if path.is_file() and (path.suffix == ".yaml" or path.name.endswith("_yaml")):
            names.update(TASK_LINE.findall(path.read_text()))
    return names


@pytest.fixture(scope="module")
def wheel_install(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    files = _checkout_files()
    for name in files:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, source / name)
    dist = work / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist), str(source)],
        check=True,
        capture_output=True,
        cwd=work,
    )
    (wheel,) = dist.glob("codeeff-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        cwd=work,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    dependencies = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "_codeeff_test_dependencies.pth").write_text("\n".join(sorted(dependencies)) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", DISABLE_MULTIPROC="1")
    return {"wheel": wheel, "files": files, "venv": venv, "site": Path(site), "env": env, "cwd": work}


def _run(install: dict, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(install["venv"] / "bin" / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        env=install["env"],
        cwd=install["cwd"],
        timeout=timeout,
    )


def test_wheel_holds_every_file_under_codeeff(wheel_install):
    shipped = set(zipfile.ZipFile(wheel_install["wheel"]).namelist())
    wanted = [name for name in wheel_install["files"] if name.startswith("codeeff/")]
    assert len(wanted) > 200, wanted  # the listing really covers the package (task YAML alone is > 130 files)
    missing = [name for name in wanted if name not in shipped]
    assert missing == [], (
        f"{len(missing)} files under codeeff/ are not in {wheel_install['wheel'].name}: {missing[:20]}"
    )


def test_codeeff_is_imported_from_the_wheel(wheel_install):
    proc = _run(wheel_install, "python", "-c", "import codeeff; print(codeeff.__file__, codeeff.tasks_dir())")
    assert proc.returncode == 0, proc.stderr
    module_file, tasks_dir = proc.stdout.split()
    assert Path(module_file).is_relative_to(wheel_install["site"]), module_file
    assert Path(tasks_dir).is_relative_to(wheel_install["site"]), tasks_dir


def test_every_codeeff_task_is_listed_from_the_wheel(wheel_install):
    expected = _codeeff_task_names()
    # G-TransEval: 20 directions x (all types + 4 single types) + 20 `_all` groups; CodeXGLUE: 2 line + 8 context tasks.
    assert len(expected) >= 130, sorted(expected)
    proc = _run(wheel_install, "codeeff", "ls", "tasks")
    assert proc.returncode == 0, proc.stderr[-2000:]
    listed = {}
    for line in proc.stdout.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0] in expected:
            listed[cells[0]] = cells[1]
    assert sorted(expected - listed.keys()) == []
    outside = {name: path for name, path in listed.items() if not Path(path).is_relative_to(wheel_install["site"])}
    assert outside == {}


def test_every_codeeff_task_validates_from_the_wheel(wheel_install):
    expected = sorted(_codeeff_task_names())
    proc = _run(wheel_install, "codeeff", "validate", "--tasks", ",".join(expected))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert "All tasks found and valid" in proc.stdout


def test_demo_and_score_entry_points_answer_from_the_wheel(wheel_install):
    for args in (("codeeff", "demo", "--help"), ("codeeff", "data", "show")):
        proc = _run(wheel_install, *args, timeout=300)
        assert proc.returncode == 0, (args, proc.stderr[-2000:])
        assert proc.stdout.strip(), args


def test_demo_runs_from_the_wheel(wheel_install, tiny_model_dir, data_dir, tmp_path):
    """The demo pipeline end to end from the wheel (tasks, sandbox, leaderboard), with a tiny model standing in."""
    out = tmp_path / "demo"
    proc = _run(
        wheel_install,
        "codeeff",
        "demo",
        "--model",
        str(tiny_model_dir),
        "--variants",
        "baseline",
        "--limit-translation",
        "1",
        "--limit-completion",
        "1",
        "--max-gen-toks",
        "16",
        "--device",
        "cpu",
        "--data-dir",
        str(data_dir),
        "--output-dir",
        str(out / "runs"),
        "--leaderboard",
        str(out / "demo.csv"),
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert "[demo] done in" in proc.stdout
    assert (out / "demo.csv").is_file() and (out / "demo.md").is_file()
    assert str(REPO) not in (out / "demo.csv").read_text()
