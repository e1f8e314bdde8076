"""Auditing a whole index: every crate (or version) resolved and checked, then analysed.

- :mod:`.dataset` -- one row per version: resolved tree, findings per advisory kind, depth;
- :mod:`.job` -- partitions, resumable part files, the final Parquet file and its metadata;
- :mod:`.executor` -- a local process pool or a Dask cluster behind one interface;
- :mod:`.popularity` -- downloads and dates from crates.io's db-dump or a CSV;
- :mod:`.catalog` -- the DuckDB catalog behind ``cratewatch ecosystem query``;
- :mod:`.stats` -- the study's analysis and more (scipy);
- :mod:`.plots` -- the figures (matplotlib, Agg);
- :mod:`.report` -- Markdown and HTML.

>>> from cratewatch.ecosystem.job import build_dataset  # doctest: +SKIP
>>> from cratewatch.ecosystem.report import write_report  # doctest: +SKIP
"""
