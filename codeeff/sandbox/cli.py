"""``codeeff sandbox``: ``doctor`` (what isolates programs here, and why not the others), ``exec`` (run one file),
``cache stats|clear`` (the execution cache).

``exec`` prints exactly one JSON object (status, exit_code, stdout, stderr, wall_s, backend, ...) and exits 0 when
the program ran (whatever its status), 2 when no sandbox is usable or an argument is invalid (one
``codeeff: error: ...`` line), 1 on a sandbox_error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from codeeff.sandbox.model import LANGUAGES

EXTENSIONS = {".py": "python", ".java": "java", ".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp", ".js": "javascript",
              ".cs": "csharp"}  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="codeeff sandbox", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    doc = sub.add_parser("doctor", help="backends available, the one chosen, isolation achieved")
    doc.add_argument("--json", action="store_true", help="print the report as JSON")
    ex = sub.add_parser("exec", help="run one program in the sandbox and print one JSON object")
    ex.add_argument("--lang", choices=LANGUAGES, help="language (default: from the file extension)")
    ex.add_argument("--timeout", type=float, help="wall-clock limit in seconds (default: the language's)")
    ex.add_argument("--cpu", type=float, help="CPU-time limit in seconds")
    ex.add_argument("--memory", type=int, help="memory limit in MiB")
    ex.add_argument("--stdin", help="file whose content is the program's stdin")
    ex.add_argument("--backend", default="auto", choices=["auto", "bwrap", "docker", "process"])
    ex.add_argument(
        "--allow-unsafe", action="store_true", help="allow the process fallback (NOT SAFE for hostile code)"
    )
    ex.add_argument("--no-cache", action="store_true", help="do not read or write the execution cache")
    ex.add_argument("file", type=Path)
    ex.add_argument("args", nargs="*", help="arguments passed to the program")
    cache = sub.add_parser("cache", help="the execution cache: stats (JSON) or clear")
    cache.add_argument("action", choices=["stats", "clear"])
    cache.add_argument("--dir", type=Path, default=None, help="cache directory (default: the user cache's exec-cache)")
    return parser


def _error(message: str) -> int:
    print(f"codeeff: error: {message}", file=sys.stderr)
    return 2


def _cache_command(action: str, directory: Path | None) -> int:
    from codeeff.sandbox.cache import ResultCache, default_cache_dir

    directory = directory or default_cache_dir()
    if not (directory / "results.sqlite").exists():
        stats = {"directory": str(directory), "entries": 0, "bytes": 0, "by_status": {}}
        print(json.dumps({**stats, "cleared": 0} if action == "clear" else stats))
        return 0
    cache = ResultCache(directory)
    try:
        if action == "clear":
            print(json.dumps({"directory": str(directory), "cleared": cache.clear()}))
        else:
            print(json.dumps(cache.stats()))
    finally:
        cache.close()
    return 0


def _doctor_text(report: dict) -> str:
    lines = [f"chosen backend: {report['chosen'] or 'NONE'}"]
    if report["chosen_reason"]:
        lines.append(f"  {report['chosen_reason']}")
    if report["isolation"]:
        props = ", ".join(f"{k}={'yes' if v is True else 'no' if v is False else v}"
                          for k, v in report["isolation"].items())  # fmt: skip
        lines.append(f"isolation: {props}")
    for name, info in report["backends"].items():
        state = "available" if info["available"] else "unavailable"
        lines.append(f"- {name}: {state}: {info['reason']}")
        for prop, why in info["missing"].items():
            lines.append(f"    missing {prop}: {why}")
    lines.append("runtimes: " + "; ".join(f"{k}: {v}" for k, v in report["runtimes"].items()))
    runner = report["python_runner"]
    lines.append(f"python runner: {runner['mode']} ({runner['reason']})")
    cs = report["csharp"]
    lines.append(f"csharp toolchain: {cs['toolchain'] or 'NONE'}" + (f" ({cs['reason']})" if "reason" in cs else
                 f": compile {cs['compiler']}, run {cs['runtime']}") + (f"; {cs['dotnet_note']}" if cs["dotnet"] else ""))  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from codeeff.sandbox import Job, Limits, SandboxUnavailableError, Status, doctor, run_jobs

    if args.command == "doctor":
        report = doctor()
        print(json.dumps(report, indent=2) if args.json else _doctor_text(report))
        return 0 if report["chosen"] else 2
    if args.command == "cache":
        return _cache_command(args.action, args.dir)
    if not args.file.is_file():
        return _error(f"sandbox exec: no such file: {args.file}")
    language = args.lang or EXTENSIONS.get(args.file.suffix)
    if language is None:
        return _error(f"sandbox exec: cannot tell the language of {args.file.name}; pass --lang")
    try:
        limits = Limits(wall_s=args.timeout, cpu_s=args.cpu, memory_mb=args.memory)
    except ValueError as exc:
        return _error(f"sandbox exec: {exc}")
    name = args.file.name
    if language == "java" and not name.endswith(".java"):
        name = "Main.java"
    job = Job(
        language=language,
        files={name: args.file.read_text()},
        main=name,
        stdin=Path(args.stdin).read_text() if args.stdin else None,
        args=tuple(args.args),
        limits=limits,
    )
    try:
        [result] = run_jobs([job], backend=args.backend, cache=not args.no_cache, progress=False,
                            allow_unsafe=args.allow_unsafe)  # fmt: skip
    except SandboxUnavailableError as exc:
        print(f"codeeff sandbox exec: {exc}", file=sys.stderr)
        return 2
    data = result.to_dict()
    ordered = {k: data.pop(k) for k in ("status", "exit_code", "stdout", "stderr", "wall_s", "backend")}
    print(json.dumps({**ordered, **data}))
    return 1 if result.status is Status.SANDBOX_ERROR else 0
