"""Provenance check time per crate version against rebuilding the crate with ``cargo package``.

Run: ``uv run python benchmarks/bench_provenance.py [--versions N] [--rounds R]``. Builds, in a
temporary directory, a repository whose workspace holds a "typical" crate (48 files, about
300 KB: sources, tests, examples, benches, README, licences) and a "large" one (~400 files,
about 3.5 MB), releases both N times (each release edits a few files), and packages every
release with ``cargo package --no-verify --offline`` (genuine ``.crate`` files). Then, per crate
version, with the repository already cloned into the cache (bare, ``--filter=blob:none``
over ``file://``):

- ``check``: :func:`check_provenance` on the crate already read (what a batch worker does
  after downloading), reusing one :class:`RepoCache`;
- ``read+check``: the same including reading and decompressing the ``.crate`` from disk;
- ``new cache``: read+check with a new :class:`RepoCache` object per version (what one CLI
  run pays, without the interpreter start);
- ``rebuild``: what the rebuild approach pays at least: ``git checkout`` of the release
  commit in a work tree plus ``cargo package --no-verify --offline``; its CPU time includes
  the git and cargo processes;
- ``rebuild+cmp``: the whole rebuild approach: the same, then reading both archives and
  comparing their files (what it needs to reach a verdict).

The crates have no dependencies, so cargo resolves nothing when it writes Cargo.lock; for
real crates the rebuild costs more.

Figures are medians over R rounds per version, then the median and 90th percentile over the
versions; the ratio is rebuild / read+check. CPU times are printed as well (a shared machine).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from cratewatch.inspect.source import from_crate_file
from cratewatch.provenance import (
    RepoCache,
    RepoLocation,
    Status,
    check_provenance,
    location_from_user,
)

_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.test",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.test",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
_WORDS = [
    "let",
    "mut",
    "self",
    "fn",
    "pub",
    "struct",
    "impl",
    "match",
    "return",
    "where",
    "trait",
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "buffer",
    "index",
    "value",
    "count",
    "parser",
    "token",
    "state",
    "error",
    "input",
    "output",
    "len",
    "iter",
    "map",
    "collect",
]


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"git {' '.join(args)}: {done.stderr}")
    return done.stdout.strip()


def _rust(rng: random.Random, size: int) -> str:
    lines: list[str] = []
    total = 0
    while total < size:
        words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 12)))
        line = f"    {words};"
        lines.append(line)
        total += len(line) + 1
    return "pub fn generated() {\n" + "\n".join(lines) + "\n}\n"


def _crate_files(rng: random.Random, name: str, count: int, mean: int) -> dict[str, str]:
    files = {
        f"crates/{name}/Cargo.toml": (
            f'[package]\nname = "{name}"\nversion.workspace = true\nedition = "2021"\n'
            f'description = "{name}"\nlicense = "MIT OR Apache-2.0"\n'
            "repository.workspace = true\nreadme.workspace = true\n"
            'license-file = "../../LICENSE-MIT"\n'
        ),
        f"crates/{name}/src/lib.rs": "\n".join(f"pub mod m{i};" for i in range(count)) + "\n",
    }
    kinds = ["src", "src", "src", "tests", "examples", "benches"]
    for i in range(count):
        kind = kinds[i % len(kinds)]
        path = f"crates/{name}/src/m{i}.rs" if kind == "src" else f"crates/{name}/{kind}/f{i}.rs"
        files[path] = _rust(rng, int(rng.expovariate(1 / mean)) + 200)
    return files


def _setup(root: Path, versions: int) -> tuple[str, dict[str, list[tuple[Path, str]]], Path]:
    rng = random.Random(7)
    remote = root / "remote.git"
    work = root / "work"
    _git(root, "init", "-q", "--bare", "-b", "main", str(remote))
    _git(remote, "config", "uploadpack.allowFilter", "true")
    _git(root, "clone", "-q", str(remote), str(work))
    files = {
        ".gitignore": "/target\n",
        "README.md": "# bench\n" + _rust(rng, 4000),
        "LICENSE-MIT": "MIT License\n" * 20,
        ".github/workflows/ci.yml": "on: push\n" * 30,
        "docs/guide.md": _rust(rng, 20_000),
    }
    files |= _crate_files(rng, "typical", 46, 6000)
    files |= _crate_files(rng, "large", 400, 9000)
    home = root / "cargo-home"
    built: dict[str, list[tuple[Path, str]]] = {"typical": [], "large": []}
    for release in range(versions):
        version = f"1.{release}.0"
        files["Cargo.toml"] = (
            '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n[workspace.package]\n'
            f'version = "{version}"\nrepository = "https://git.example.test/bench"\n'
            'readme = "README.md"\n'
        )
        for path in rng.sample(sorted(p for p in files if p.endswith(".rs")), 6):
            files[path] += f"// release {version}\n"
        for path, text in files.items():
            target = work / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        _git(work, "add", "-A")
        _git(work, "commit", "-q", "-m", f"release {version}")
        commit = _git(work, "rev-parse", "HEAD")
        _cargo_package(work, home)
        for name, crates in built.items():
            crate = root / "crates" / f"{name}-{version}.crate"
            crate.parent.mkdir(exist_ok=True)
            shutil.copyfile(work / "target/package" / crate.name, crate)
            crates.append((crate, commit))
        shutil.rmtree(work / "target/package")
    _git(work, "push", "-q", "origin", "HEAD:main")
    return f"file://{remote}", built, home


def _cargo_package(work: Path, home: Path, *packages: str) -> None:
    args = ["cargo", "package", "--no-verify", "--offline", "--quiet"]
    args += [f"-p={p}" for p in packages] if packages else ["--workspace"]
    env = {**os.environ, **_ENV, "CARGO_HOME": str(home)}
    env["CARGO_TARGET_DIR"] = str(work / "target")
    done = subprocess.run(args, cwd=work, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"cargo package: {done.stderr}")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(action: Callable[[], object], rounds: int) -> tuple[float, float]:
    """Median wall time and median CPU time (this process and the processes it waited for)."""
    walls, cpus = [], []
    for _ in range(rounds):
        wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu + _children_cpu() - children)
    return statistics.median(walls), statistics.median(cpus)


def _rebuild(work: Path, home: Path, name: str, commit: str, published: Path | None) -> None:
    """Check out, package, and (with *published*) compare the two archives' files."""
    _git(work, "checkout", "-q", "--detach", commit)
    _cargo_package(work, home, name)
    if published is not None:
        rebuilt = next((work / "target/package").glob("*.crate"))
        ours = from_crate_file(rebuilt).files
        theirs = from_crate_file(published).files
        ignored = {".cargo_vcs_info.json"}
        assert {k: v for k, v in ours.items() if k not in ignored} == {
            k: v for k, v in theirs.items() if k not in ignored
        }
    shutil.rmtree(work / "target/package")


def _check(crate_path: Path, cache: RepoCache, location: RepoLocation) -> None:
    check_provenance(from_crate_file(crate_path), cache=cache, repository=location)


def _check_new_cache(crate_path: Path, cache_dir: Path, location: RepoLocation) -> None:
    check_provenance(from_crate_file(crate_path), cache=RepoCache(cache_dir), repository=location)


def _line(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    median = statistics.median(values)
    return f"  {label:<12} median {median * 1000:8.1f} ms   p90 {p90 * 1000:8.1f} ms"


def _measure(
    name: str,
    crates: list[tuple[Path, str]],
    *,
    cache_dir: Path,
    location: RepoLocation,
    rebuild_work: Path,
    home: Path,
    rounds: int,
) -> None:
    sample = from_crate_file(crates[0][0])
    unpacked = sum(len(d) for d in sample.files.values())
    packed = crates[0][0].stat().st_size
    print(
        f"\n{name}: {len(crates)} versions, {len(sample.files)} files, "
        f"{unpacked / 1024:.0f} KiB unpacked, .crate {packed / 1024:.0f} KiB"
    )
    cache = RepoCache(cache_dir)
    figures: dict[str, list[float]] = {
        "check": [],
        "check cpu": [],
        "read+check": [],
        "read+check cpu": [],
        "new cache": [],
        "rebuild": [],
        "rebuild cpu": [],
        "rebuild+cmp": [],
        "rebuild+cmp cpu": [],
    }
    for crate_path, commit in crates:
        crate = from_crate_file(crate_path)
        result = check_provenance(crate, cache=cache, repository=location)
        assert result.status is Status.MATCH, result.outcome
        wall, cpu = _timed(
            partial(check_provenance, crate, cache=cache, repository=location), rounds
        )
        figures["check"].append(wall)
        figures["check cpu"].append(cpu)
        wall, cpu = _timed(partial(_check, crate_path, cache, location), rounds)
        figures["read+check"].append(wall)
        figures["read+check cpu"].append(cpu)
        fresh = _timed(partial(_check_new_cache, crate_path, cache_dir, location), rounds)[0]
        figures["new cache"].append(fresh)
        wall, cpu = _timed(partial(_rebuild, rebuild_work, home, name, commit, None), rounds)
        figures["rebuild"].append(wall)
        figures["rebuild cpu"].append(cpu)
        wall, cpu = _timed(partial(_rebuild, rebuild_work, home, name, commit, crate_path), rounds)
        figures["rebuild+cmp"].append(wall)
        figures["rebuild+cmp cpu"].append(cpu)
    for label, values in figures.items():
        print(_line(label, values))
    median = statistics.median
    for baseline in ("rebuild", "rebuild+cmp"):
        wall_ratio = median(figures[baseline]) / median(figures["read+check"])
        cpu_ratio = median(figures[f"{baseline} cpu"]) / median(figures["read+check cpu"])
        print(f"  {baseline} / read+check: {wall_ratio:.1f}x wall, {cpu_ratio:.1f}x CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--versions", type=int, default=12, help="releases per crate")
    parser.add_argument("--rounds", type=int, default=5, help="timings per version (median)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-provenance-") as temp:
        root = Path(temp)
        started = time.perf_counter()
        url, built, home = _setup(root, options.versions)
        elapsed = time.perf_counter() - started
        print(f"setup: {options.versions} releases of 2 crates in {elapsed:.1f} s")
        location = location_from_user(url)
        cache_dir = root / "cache"
        started = time.perf_counter()
        first = check_provenance(
            from_crate_file(built["typical"][0][0]),
            cache=RepoCache(cache_dir),
            repository=location,
        )
        assert first.status is Status.MATCH, first.outcome
        print(f"first check, cloning the repository: {time.perf_counter() - started:.2f} s")
        rebuild_work = root / "rebuild"
        _git(root, "clone", "-q", url, str(rebuild_work))
        for name, crates in built.items():
            _measure(
                name,
                crates,
                cache_dir=cache_dir,
                location=location,
                rebuild_work=rebuild_work,
                home=home,
                rounds=options.rounds,
            )


if __name__ == "__main__":
    main()
