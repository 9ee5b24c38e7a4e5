#!/usr/bin/env python3
"""Benchmark reading + validating a roster (iterating parsing.Roster): this tree against a baseline.

    .venv/bin/python bench/import/parse.py                       # 10,000 and 100,000 rows, 3 rounds
    .venv/bin/python bench/import/parse.py --sizes 100000 --rounds 5 --baseline 0c97420
    .venv/bin/python bench/import/parse.py --shared-strings   # text as Excel saves it

openpyxl writes every text cell as an inline string; Excel writes a shared strings table
(one entry per distinct text) and cells that point into it. --shared-strings rewrites the
generated files that way before measuring.

The baseline is the parser of another commit (default: the last one before the streaming
reader, python-calamine loading the whole sheet), exported with `git archive` into a
temporary directory, so both are measured in the same run on the same files. Each
measurement is a fresh subprocess: seconds (wall and the process's CPU) to open the roster
and iterate it to the end, and the growth of the process's peak RSS (VmHWM) over what it held once the parser was
imported. No database: the parser is pure Python. Prints the median and the min-max of
each, and the load average before and after. python-calamine comes with the bench extra.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BASELINE = "0c97420"  # main before parsing/xlsx.py: calamine's reader, the validation of then

MEASURE = """
import json, sys, time
def hwm():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
from academy.students.parsing import Roster, StudentRow
before = hwm()
started, cpu = time.perf_counter(), time.process_time()
roster = Roster(sys.argv[1])
valid = sum(1 for item in roster if isinstance(item, StudentRow))
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_growth": hwm() - before,
                  "total": roster.total, "valid": valid}))
"""


def measure(tree: Path, path: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
    out = subprocess.run([sys.executable, "-c", MEASURE, str(path)], env=env, cwd=tree,
                         capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout)


_INLINE = re.compile(r'<c r="([A-Z]+[0-9]+)"( s="[0-9]+")? t="inlineStr"><is><t>([^<]*)</t></is></c>')
_SHARED_REL = ('<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
               'sharedStrings" Target="sharedStrings.xml" Id="rIdShared" /></Relationships>')


def with_shared_strings(path: Path) -> Path:
    """Rewrite a one-sheet workbook's inline strings as a shared strings table; return the new file."""
    table: dict[str, int] = {}

    def shared(match: re.Match[str]) -> str:
        index = table.setdefault(match.group(3), len(table))
        return f'<c r="{match.group(1)}"{match.group(2) or ""} t="s"><v>{index}</v></c>'

    out = path.with_name(path.stem + "-shared.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = _INLINE.sub(shared, data.decode()).encode()
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.decode().replace("</Relationships>", _SHARED_REL).encode()
            target.writestr(info.filename, data)
        items = "".join(f"<si><t>{text}</t></si>" for text in table)  # the texts need no escaping
        target.writestr("xl/sharedStrings.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main" count="{len(table)}" uniqueCount="{len(table)}">{items}</sst>'))
    return out


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default=BASELINE, help="the commit to compare with")
    parser.add_argument("--shared-strings", action="store_true", help="text cells as Excel writes them")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    sys.path.insert(0, str(ROOT))
    from academy.testdata.roster import generate_rows, write_roster_xlsx

    with tempfile.TemporaryDirectory(prefix="bench-parse-") as tmp:
        base = Path(tmp) / "baseline"
        base.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline, "academy"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        trees = {f"baseline {args.baseline}": base, "this tree": ROOT}
        files = {}
        for size in sizes:
            files[size] = write_roster_xlsx(Path(tmp) / f"roster-{size}.xlsx", generate_rows(size, seed=2024))
            if args.shared_strings:
                files[size] = with_shared_strings(files[size])

        print(f"text cells: {'a shared strings table (as Excel)' if args.shared_strings else 'inline (as openpyxl)'}")
        print(f"load average before: {load()}")
        results: dict[tuple[int, str], list[dict]] = {}
        for size in sizes:
            for _ in range(args.rounds):
                for name, tree in trees.items():  # interleaved: noise hits both alike
                    result = measure(tree, files[size])
                    if result["total"] != size:
                        sys.exit(f"{name} read {result['total']} rows of {size}")
                    results.setdefault((size, name), []).append(result)
        print(f"load average after:  {load()}")

        print("\nrows     reader                   wall s: median (min-max)   CPU s: median (min-max)"
              "   peak RSS growth MB: median (min-max)   valid")
        for size in sizes:
            medians = {}
            for name in trees:
                runs = results[(size, name)]
                columns = []
                for key, scale in (("seconds", 1), ("cpu", 1), ("peak_growth", 2**20)):
                    values = [run[key] / scale for run in runs]
                    columns.append(f"{statistics.median(values):7.2f} ({min(values):.2f}-{max(values):.2f})")
                medians[name] = {key: statistics.median(run[key] for run in runs) for key in ("seconds", "cpu")}
                print(f"{size:<8,} {name:<23} {columns[0]:<26} {columns[1]:<26} {columns[2]:<38} {runs[0]['valid']:,}")
            base, this = (medians[name] for name in trees)
            print(f"{'':9}this tree / baseline: {this['seconds'] / base['seconds']:.2f}x wall, "
                  f"{this['cpu'] / base['cpu']:.2f}x CPU")


if __name__ == "__main__":
    main()
