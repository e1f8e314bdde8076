"""Evaluate ``cratewatch inspect``: recall on the malicious corpus, false alarms on real crates.

Benign crates are real crates.io sources packaged by Debian (``librust-*-dev`` ship them under
``/usr/share/cargo/registry/``): the script picks packages likely to have a build script or a
proc-macro (well-known crates, ``-sys``, ``-derive``, ``-macros``...), downloads them with
``apt-get download`` (after ``apt-get update``), unpacks them with ``dpkg -x`` into a temporary
directory and inspects every crate found. Malicious and benign fixtures come from
``tests/assets/inspect/``.

    uv run python benchmarks/eval_inspect.py [--count 150] [--fail-on high] [--no-update]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from cratewatch.inspect.model import InspectReport, Severity
from cratewatch.inspect.scan import inspect_source
from cratewatch.inspect.source import from_directory

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "assets" / "inspect"

# Crates well known for build scripts or proc-macros (Debian package names without librust-/-dev).
SEED = """
libc proc-macro2 serde serde-derive anyhow thiserror thiserror-impl syn quote rustix
memchr libm num-traits autocfg version-check rustversion typenum generic-array crc32fast
ring openssl-sys libgit2-sys libz-sys curl-sys bzip2-sys lzma-sys zstd-sys libsqlite3-sys
pkg-config cc cmake bindgen clang-sys libloading getrandom parking-lot-core lock-api
indexmap hashbrown ahash zerocopy-derive tokio-macros async-trait pin-project-internal
futures-macro tracing-attributes clap-derive structopt-derive strum-macros derive-more
paste ctor pest-derive prost-derive darling-macro synstructure num-derive displaydoc
failure-derive serde-repr async-stream-impl openssl-macros tokio-stream nix libdbus-sys
glib-sys gobject-sys gio-sys cairo-sys-rs pango-sys gtk-sys onig-sys jemalloc-sys
libudev-sys alsa-sys x11 freetype-sys fontconfig-sys expat-sys servo-fontconfig-sys
libnghttp2-sys libssh2-sys backtrace-sys blake3 sha2 md-5 lalrpop phf-macros
wasm-bindgen-macro wasm-bindgen-backend js-sys proc-macro-error proc-macro-error-attr
proc-macro-hack ref-cast-impl serde-with-macros enum-as-inner educe enumflags2-derive
zbus-macros zvariant-derive bitflags semver rayon-core crossbeam-utils mio slab
reqwest hyper ureq curl isahc attohttpc cargo git2 ssh2 tokio async-std surf lettre openssh
keyring dirs home which tempfile xdg directories sysinfo self-update rustls webpki-roots
sccache cargo-util crates-io gix-credentials gix-transport rustyline ring-compat sequoia-openpgp
"""

_PATTERNS = ("-sys-dev", "-derive-dev", "-macros-dev", "-macro-dev", "-impl-dev", "-codegen-dev")


def _run(cmd: list[str], cwd: Path | None = None, timeout: float = 900) -> str:
    done = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}...: {done.stderr.strip()[-500:]}")
    return done.stdout


def pick_packages(count: int) -> list[str]:
    """Debian librust-*-dev packages, seed crates first, then build-time-heavy name patterns."""
    listing = _run(["apt-cache", "search", "--names-only", "^librust-.*-dev$"])
    available = sorted(
        line.split(" - ", 1)[0].strip()
        for line in listing.splitlines()
        if line.strip() and "+" not in line.split(" - ", 1)[0]
    )
    chosen: list[str] = []
    for name in SEED.split():
        package = f"librust-{name}-dev"
        if package in available and package not in chosen:
            chosen.append(package)
    patterned = [p for p in available if p.endswith(_PATTERNS) and p not in chosen]
    wanted = max(count * 2 // 3 - len(chosen), 0)
    step = max(len(patterned) // max(wanted, 1), 1)
    chosen += patterned[::step][:wanted]
    rest = [p for p in available if p not in chosen]
    wanted = max(count - len(chosen), 0)
    step = max(len(rest) // max(wanted, 1), 1)
    chosen += rest[::step][:wanted]  # evenly spread over the alphabet: ordinary crates too
    return chosen[:count]


def fetch_crates(packages: list[str], work: Path) -> list[Path]:
    """Download and unpack *packages*; return the crate directories they contain."""
    debs = work / "debs"
    debs.mkdir()
    for i in range(0, len(packages), 40):
        batch = packages[i : i + 40]
        try:
            _run(["apt-get", "download", *batch], cwd=debs)
        except RuntimeError:
            for package in batch:  # one bad name must not lose the batch
                try:
                    _run(["apt-get", "download", package], cwd=debs)
                except RuntimeError as e:
                    print(f"  skipped {package}: {e}", file=sys.stderr)
    tree = work / "tree"
    for deb in sorted(debs.glob("*.deb")):
        _run(["dpkg", "-x", str(deb), str(tree)])
    registry = tree / "usr" / "share" / "cargo" / "registry"
    return sorted(p for p in registry.iterdir() if p.is_dir()) if registry.is_dir() else []


def inspect_dirs(dirs: list[Path]) -> list[InspectReport]:
    return [inspect_source(from_directory(d)) for d in dirs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=150, help="Debian packages to fetch")
    parser.add_argument("--fail-on", default="high", help="severity that counts as an alarm")
    parser.add_argument("--no-update", action="store_true", help="skip apt-get update")
    parser.add_argument("--keep", type=Path, help="unpack into this directory and keep it")
    args = parser.parse_args()
    threshold = Severity.parse(args.fail_on)

    malicious = inspect_dirs(sorted(p for p in (CORPUS / "malicious").iterdir() if p.is_dir()))
    fixtures = inspect_dirs(sorted(p for p in (CORPUS / "benign").iterdir() if p.is_dir()))

    if not args.no_update:
        _run(["apt-get", "update", "-qq"])
    work = args.keep or Path(tempfile.mkdtemp(prefix="eval-inspect-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        packages = pick_packages(args.count)
        crates = fetch_crates(packages, work)
        fetched = time.perf_counter() - started
        started = time.perf_counter()
        debian = inspect_dirs(crates)
        elapsed = time.perf_counter() - started
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    caught = [r for r in malicious if r.reaches(threshold)]
    missed = [r for r in malicious if not r.reaches(threshold)]
    benign = fixtures + debian
    false_alarms = [r for r in benign if r.reaches(threshold)]
    precision = len(caught) / (len(caught) + len(false_alarms)) if caught or false_alarms else 0.0
    recall = len(caught) / len(malicious) if malicious else 0.0
    with_build = sum(1 for r in debian if r.build_script or r.proc_macro)

    print(f"threshold (--fail-on): {threshold.value}")
    print(f"malicious corpus: {len(malicious)} crates, caught {len(caught)}, missed {len(missed)}")
    for r in missed:
        print(f"  MISSED {r.name} {r.version}: max {r.max_severity}")
    fixture_alarms = sum(r.reaches(threshold) for r in fixtures)
    print(f"benign fixtures: {len(fixtures)} crates, false alarms {fixture_alarms}")
    print(
        f"debian crates: {len(packages)} packages -> {len(debian)} crates "
        f"({with_build} with a build script or proc-macro), fetched in {fetched:.1f}s, "
        f"inspected in {elapsed:.1f}s ({elapsed / max(len(debian), 1) * 1000:.0f} ms/crate)"
    )
    print(f"recall: {recall:.1%}")
    print(f"precision: {precision:.1%}")
    print(
        f"false-positive rate (debian + fixtures): {len(false_alarms)}/{len(benign)} = "
        f"{len(false_alarms) / max(len(benign), 1):.1%}"
    )
    for r in false_alarms:
        top = [s for s in r.signals if s.severity >= threshold]
        print(f"  FALSE ALARM {r.name} {r.version}:")
        for s in top[:5]:
            print(
                f"    {s.severity.value} {s.id} {s.file}:{s.line} {s.excerpt.splitlines()[0][:90]}"
            )
    spread = Counter((r.max_severity.value if r.max_severity else "none") for r in debian)
    print("debian max-severity spread:", dict(sorted(spread.items())))


if __name__ == "__main__":
    main()
