"""A synthetic crates.io index N times larger than a real one, with the same distributions.

Run: ``uv run python benchmarks/synth_index.py --factor 4 --out /tmp/index4x`` (source: a
bare clone of the 2020 bundle unless ``--index SRC``).

Every real crate ``C`` is kept and gets ``factor - 1`` copies ``C~k`` spelled
``<C>-s<k>x<token>`` (a name no real crate has) with exactly its versions, features, yanked
flags and requirements. Each dependency of a copy points at the same dependency crate or one
of that crate's copies, drawn at random (seeded), through the index's ``package`` rename
field so the Cargo.toml key and therefore every feature reference stay valid. The result has
the real index's distributions of versions per crate, dependencies per version, requirement
shapes, features and yanks, ``factor`` times as many crates, and dependency trees of the same
shape and size spread over the copies: what the crates.io index looks like if it keeps
growing the way it grew. Written as a directory index (``config.json`` + the usual layout).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import tempfile
import time
from pathlib import Path

from _common import shared_data

from cratewatch.registry.gitindex import GitIndex
from cratewatch.registry.index import open_index
from cratewatch.registry.paths import index_path

_TOKEN = "q7"  # makes copy names distinct from every real crate (checked)


def copy_name(name: str, k: int) -> str:
    """The k-th copy of crate *name* (k >= 1); at most 64 characters."""
    suffix = f"-s{k}x{_TOKEN}"
    return name[: 64 - len(suffix)] + suffix


def generate(source: GitIndex, out: Path, *, factor: int, seed: int) -> tuple[int, int]:
    """Write the enlarged index to *out*; returns (crates, version lines) written."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps({"dl": source.config().dl}))
    files = list(source.files())
    names = {path.rpartition("/")[2].lower() for path, _ in files}
    for name in names:
        for k in range(1, factor):
            if copy_name(name, k).lower() in names:
                raise SystemExit(f"copy name of {name} collides with a real crate")
    crates = lines = 0
    for path, data in files:
        text = data.decode()
        parsed = [json.loads(line) for line in text.splitlines() if line.strip()]
        if not parsed:
            continue
        _write(out / path, text)
        crates += 1
        lines += len(parsed)
        real = parsed[0]["name"]
        for k in range(1, factor):
            copy = copy_name(real, k)
            body = []
            for entry in parsed:
                deps = []
                for dep in entry.get("deps", []):
                    moved = dict(dep)
                    target = dep.get("package") or dep["name"]
                    if dep.get("registry") is None:
                        j = rng.randrange(factor)
                        if j:
                            moved["package"] = copy_name(target, j)
                    deps.append(moved)
                body.append(json.dumps(dict(entry, name=copy, deps=deps), separators=(",", ":")))
            _write(out / index_path(copy), "\n".join(body) + "\n")
            crates += 1
            lines += len(body)
    return crates, lines


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", help="source git index (default: clone of the 2020 bundle)")
    parser.add_argument("--factor", type=int, default=4)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spec = args.index
        if spec is None:
            spec = str(Path(tmp) / "index.git")
            bundle = shared_data() / "crates-io-index-2020.bundle"
            subprocess.run(["git", "clone", "-q", "--bare", str(bundle), spec], check=True)
        with open_index(spec) as index:
            assert isinstance(index, GitIndex)
            start = time.perf_counter()
            crates, lines = generate(index, args.out, factor=args.factor, seed=args.seed)
    print(
        f"{args.out}: {crates} crates, {lines} version lines "
        f"({args.factor}x) in {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
