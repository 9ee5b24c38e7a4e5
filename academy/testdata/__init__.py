"""Data for tests, the end-to-end run and the benchmarks: never imported by the app.

Needs the `test` (or `bench`) extra: openpyxl writes the roster workbooks, ffmpeg the clips.
Left out of the built package (pyproject.toml), so a bare `pip install .` ships none of it.
"""
