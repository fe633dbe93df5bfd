"""The machine's precompiled ``<bits/stdc++.h>`` (codeeff/sandbox/cpp_pch.py): used, keyed, and out of a job's reach.

A hostile C++ job tries every way to write, replace, rename, re-mode or shadow the ``.gch`` (at its host path and at
its path inside the compile step) and reports each attempt that worked; none may, the file's digest must not change,
and an honest job on the same slot right after it must compile and give its true answer.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from codeeff.sandbox import Job, SandboxUnavailableError, Status, cpp_pch, run_jobs
from codeeff.sandbox.cache import job_key
from codeeff.sandbox.slots import sandbox_base_dir

HOSTILE = r"""
#include <bits/stdc++.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char** argv) {
  std::vector<std::string> targets = {"/pch/bits/stdc++.h.gch"};
  for (int i = 1; i < argc; ++i) targets.push_back(argv[i]);
  for (const std::string& gch : targets) {
    std::string dir = gch.substr(0, gch.rfind('/'));
    int fd = open(gch.c_str(), O_WRONLY);
    if (fd >= 0) { std::printf("WROTE open-for-write %s\n", gch.c_str()); if (write(fd, "x", 1) == 1) std::puts("WROTE byte"); close(fd); }
    fd = open(gch.c_str(), O_WRONLY | O_TRUNC);
    if (fd >= 0) { std::printf("WROTE truncate %s\n", gch.c_str()); close(fd); }
    if (chmod(gch.c_str(), 0666) == 0) std::printf("WROTE chmod %s\n", gch.c_str());
    if (rename(gch.c_str(), (gch + ".old").c_str()) == 0) std::printf("WROTE rename %s\n", gch.c_str());
    if (unlink(gch.c_str()) == 0) std::printf("WROTE unlink %s\n", gch.c_str());
    fd = open((dir + "/evil.h.gch").c_str(), O_CREAT | O_WRONLY, 0644);
    if (fd >= 0) { std::printf("WROTE create in %s\n", dir.c_str()); close(fd); }
    if (symlink("/tmp/x", (dir + "/stdc++.h.gch.new").c_str()) == 0) std::printf("WROTE symlink in %s\n", dir.c_str());
    if (rmdir(dir.c_str()) == 0 || rename(dir.c_str(), (dir + ".old").c_str()) == 0)
      std::printf("WROTE folder %s\n", dir.c_str());
  }
  std::puts("done");
  return 0;
}
"""

HONEST = r"""
#include <bits/stdc++.h>
using namespace std;
int main() {
  vector<int> v = {5, 3, 9, 1};
  sort(v.begin(), v.end());
  unordered_map<string, int> m = {{"a", 1}};
  cout << v[0] << v[3] << m["a"] << "\n";
  return 0;
}
"""


def _usable(backend: str) -> None:
    try:
        run_jobs([], backend=backend, progress=False, allow_unsafe=backend == "process")
    except SandboxUnavailableError as exc:
        pytest.skip(f"{backend} backend unavailable: {exc}")


@pytest.mark.parametrize("backend", ["bwrap", "process"])
def test_a_job_cannot_write_or_replace_the_precompiled_header(backend):
    _usable(backend)
    folder = cpp_pch.pch_dir(sandbox_base_dir())
    if folder is None:
        pytest.skip("no g++ to build the precompiled header")
    gch = folder / "bits" / "stdc++.h.gch"
    before = cpp_pch.artifact_digest(folder)
    if os.geteuid() == 0:
        for path in (folder, folder / "bits", gch):
            info = path.stat()
            assert info.st_uid == 0 and info.st_mode & 0o022 == 0, f"{path} is writable by others: {oct(info.st_mode)}"
    hostile = Job("cpp", {"main.cpp": HOSTILE}, "main.cpp", args=(str(gch),))
    honest = Job("cpp", {"main.cpp": HONEST}, "main.cpp")
    first, after = run_jobs([hostile, honest], backend=backend, workers=1, cache=False, progress=False,
                            allow_unsafe=backend == "process")  # fmt: skip
    report = f"{first.status_label} {first.detail}\n{first.stdout}\n{first.stderr[-800:]}"
    assert first.status is Status.PASSED and first.stdout.endswith("done\n"), report
    assert "WROTE" not in first.stdout, report
    assert cpp_pch.artifact_digest(folder) == before
    assert sorted(p.name for p in (folder / "bits").iterdir()) == ["stdc++.h", "stdc++.h.gch"]
    assert after.status is Status.PASSED and after.stdout == "191\n", f"{after.status_label} {after.stderr[-800:]}"


def test_the_compile_uses_the_header_and_an_unusable_one_falls_back(tmp_path):
    folder = cpp_pch.pch_dir(sandbox_base_dir())
    if folder is None:
        pytest.skip("no g++ to build the precompiled header")
    source = tmp_path / "main.cpp"
    source.write_text(HONEST)

    def compile_with(include: Path) -> str:
        argv = [cpp_pch.GXX, *cpp_pch.CPP_FLAGS, "-I", str(include), "-Winvalid-pch", "-H", "-o",
                str(tmp_path / "main"), str(source)]  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert subprocess.run([tmp_path / "main"], capture_output=True, text=True).stdout == "191\n"
        return done.stderr

    assert f"! {folder}/bits/stdc++.h.gch" in compile_with(folder)
    broken = tmp_path / "broken"
    (broken / "bits").mkdir(parents=True)
    (broken / "bits" / "stdc++.h").write_text(cpp_pch.wrapper_header())
    (broken / "bits" / "stdc++.h.gch").write_bytes(b"not a precompiled header" * 100)
    log = compile_with(broken)  # GCC reads the wrapper, which reads the system header
    assert f"x {broken}/bits/stdc++.h.gch" in log and "not a PCH file [-Winvalid-pch]" in log
    assert f". {broken}/bits/stdc++.h" in log


def test_the_cpp_cache_key_names_the_compile_flags_and_header_scheme(monkeypatch):
    cpp = Job("cpp", {"main.cpp": HONEST}, "main.cpp")
    python = Job.single("python", "print(1)")
    keys = job_key(cpp, "bwrap"), job_key(python, "bwrap")
    monkeypatch.setattr(cpp_pch, "PCH_SCHEME", cpp_pch.PCH_SCHEME + 1)
    assert job_key(cpp, "bwrap") != keys[0]
    assert job_key(python, "bwrap") == keys[1]
    monkeypatch.setattr(cpp_pch, "CPP_FLAGS", (*cpp_pch.CPP_FLAGS, "-DX"))
    assert cpp_pch.identity().endswith("-DX")


def test_compiler_notes_through_the_header_name_no_host_path():
    folder = cpp_pch.pch_dir(sandbox_base_dir())
    if folder is None:
        pytest.skip("no g++ to build the precompiled header")
    source = "#include <bits/stdc++.h>\nusing namespace std;\nint f() { return day; }\nint main() { return f(); }\n"
    (result,) = run_jobs([Job("cpp", {"main.cpp": source}, "main.cpp")], cache=False, progress=False)
    assert result.status is Status.COMPILE_ERROR, result.status_label
    assert "std::chrono::day" in result.stderr  # the note that traces the include through the header
    assert str(sandbox_base_dir()) not in result.stderr and "cpp-pch" not in result.stderr, result.stderr[-1500:]
