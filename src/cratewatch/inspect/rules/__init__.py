"""One module per behaviour; :data:`cratewatch.inspect.scan.FILE_RULES` lists the file rules.

* :mod:`.network` — sockets, HTTP clients, DNS, suspicious URLs
* :mod:`.process` — ``Command``, shells, downloaders, ``libc::system``
* :mod:`.env` — secret-looking variables, CI detection, dumping the environment
* :mod:`.filesystem` — credential and persistence paths, home directory, absolute writes
* :mod:`.obfuscation` — base64/hex blobs, character codes, XOR loops, binary includes
* :mod:`.build_deps` — build-time dependencies from ``Cargo.toml`` (not a file rule)
* :mod:`.combos` — combinations of the above (not a file rule)
"""

from __future__ import annotations
