"""Write ``src/cratewatch/policy/data/license-texts.json.gz`` from SPDX's license texts.

No Python package ships the current SPDX license texts offline, so the texts come from the npm
package ``spdx-license-list`` (CC0; its ``licenses/<id>.json`` files hold SPDX's text of each
license). Fetch it with npm's own client and point this script at the tarball or its
unpacked directory::

    npm pack spdx-license-list@6.12.0
    uv run python scripts/gen_license_texts.py spdx-license-list-6.12.0.tgz

Only the licenses common in the Rust ecosystem are kept (:data:`LICENSES`), which keeps the
file small; license detection can only report these.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tarfile
from pathlib import Path

LICENSES = (
    "0BSD", "AGPL-3.0-only", "Apache-1.1", "Apache-2.0", "Artistic-2.0", "BSD-1-Clause",
    "BSD-2-Clause", "BSD-3-Clause", "BSD-4-Clause", "BSL-1.0", "bzip2-1.0.6", "CC-BY-4.0",
    "CC-BY-SA-4.0", "CC0-1.0", "CDLA-Permissive-2.0", "curl", "EPL-2.0", "EUPL-1.2",
    "GPL-2.0-only", "GPL-3.0-only", "ICU", "ISC", "LGPL-2.0-only", "LGPL-2.1-only",
    "LGPL-3.0-only", "MIT", "MIT-0", "MPL-1.1", "MPL-2.0", "NCSA", "OFL-1.1", "OpenSSL",
    "PostgreSQL", "Python-2.0", "Unicode-3.0", "Unicode-DFS-2016", "Unlicense", "WTFPL",
    "X11", "Zlib",
)  # fmt: skip
OUTPUT = Path(__file__).resolve().parent.parent / "src/cratewatch/policy/data/license-texts.json.gz"


def read_texts(source: Path) -> tuple[str, dict[str, str]]:
    """The package version and the text of each wanted license."""
    files: dict[str, bytes] = {}
    if source.is_dir():
        for name in ("package.json", *(f"licenses/{i}.json" for i in LICENSES)):
            files[name] = (source / name).read_bytes()
    else:
        with tarfile.open(source, "r:gz") as tar:
            for member in tar.getmembers():
                name = member.name.removeprefix("package/")
                if member.isfile() and (
                    name == "package.json"
                    or name.removeprefix("licenses/").removesuffix(".json") in LICENSES
                ):
                    extracted = tar.extractfile(member)
                    assert extracted is not None
                    files[name] = extracted.read()
    version = json.loads(files["package.json"])["version"]
    texts = {}
    for license_id in LICENSES:
        doc = json.loads(files[f"licenses/{license_id}.json"])
        texts[license_id] = doc["licenseText"]
    return version, texts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="spdx-license-list tarball or directory")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    version, texts = read_texts(args.source)
    doc = {
        "source": f"npm spdx-license-list {version} (SPDX License List texts)",
        "licenses": dict(sorted(texts.items())),
    }
    data = json.dumps(doc, sort_keys=True, indent=0).encode()
    args.output.write_bytes(gzip.compress(data, mtime=0))
    print(f"{args.output}: {len(texts)} licenses, {len(data)} bytes before compression")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
