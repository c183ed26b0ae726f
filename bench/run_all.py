"""Every benchmark in one run and one table: each figure, the bare library's figure measured in
the same run, the ratio (above 1: ours does better) and the goal; also written as JSON.

    .venv/bin/python bench/run_all.py [--quick] [--only encode bias ...] [--json bench/results.json]

``--quick`` runs each script on a smaller input (minutes, not the better part of an hour); the
table says which arguments each script got. A script that fails is reported and the rest run.
Timings on a shared machine are noisy: read the ratios, measured side by side in one process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: script -> (full arguments, quick arguments)
SCRIPTS: dict[str, tuple[list[str], list[str]]] = {
    "startup": ([], ["--runs", "3"]),
    "encode": ([], ["--n", "500", "--rounds", "1"]),
    "words_eval": ([], ["--models", "glove-6b-50d", "--datasets", "google"]),
    "bias": ([], []),
    "explore": ([], ["--limit", "5000", "--ab-rounds", "0", "--umap-rounds", "1", "--skip-hdbscan"]),
    "map_interaction": ([], ["--sizes", "3000", "--rounds", "1"]),
    "concurrency": ([], ["--rounds", "1"]),
    "images": ([], ["--n", "32", "--rounds", "1"]),
    "recommend": ([], []),
    "api_embeddings": ([], ["--n", "500", "--rounds", "1"]),
    "demos": (["--cold"], ["--pages", "home", "explore", "downstream"]),
}


def run(script: str, args: list[str], records: Path) -> tuple[int, float, str]:
    """Run one bench script; returns (exit status, seconds, the tail of its output)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(HERE / f"{script}.py"), *args], cwd=HERE.parent, capture_output=True, text=True,
                          env={**os.environ, "EMBEDLAB_BENCH_JSON": str(records)})
    return done.returncode, time.perf_counter() - started, (done.stdout + done.stderr)[-1500:]


def cell(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:.3g}{unit}" if abs(value) < 1000 else f"{value:,.0f}{unit}"


def table(rows: list[dict[str, object]]) -> str:
    lines = [f"{'bench':<15} {'figure':<58} {'ours':>9} {'bare':>9} {'ratio':>7}  {'goal':<14} met"]
    for row in rows:
        unit = str(row["unit"])
        goal = "-" if row["goal"] is None else (f"ratio >= {row['goal']}" if row["goal_on"] == "ratio"
                                                else f"{'<=' if row['better'] == 'lower' else '>='} {row['goal']}{unit}")
        met = {True: "yes", False: "NO", None: ""}[row["met"]]  # type: ignore[index]
        lines.append(f"{str(row['bench']):<15} {str(row['figure'])[:58]:<58} {cell(row['ours'], unit):>9} {cell(row['bare'], unit):>9}"  # type: ignore[arg-type]
                     f" {cell(row['ratio'], 'x'):>7}  {goal:<14} {met}")  # type: ignore[arg-type]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs (see SCRIPTS)")
    parser.add_argument("--only", nargs="+", choices=list(SCRIPTS), help="run only these scripts")
    parser.add_argument("--json", type=Path, default=HERE / "results.json", help="where to write every figure (default bench/results.json)")
    args = parser.parse_args()
    records = Path(tempfile.mkstemp(prefix="embedlab-bench-", suffix=".jsonl")[1])
    runs = []
    for script in args.only or list(SCRIPTS):
        script_args = SCRIPTS[script][1 if args.quick else 0]
        print(f"running bench/{script}.py {' '.join(script_args)}", file=sys.stderr, flush=True)
        status, seconds, tail = run(script, script_args, records)
        runs.append({"script": script, "args": script_args, "status": status, "seconds": seconds})
        if status != 0:
            print(f"bench/{script}.py failed (exit {status}):\n{tail}", file=sys.stderr)
    rows = [json.loads(line) for line in records.read_text().splitlines() if line.strip()]
    records.unlink()
    print(table(rows))
    print()
    for entry in runs:
        print(f"bench/{entry['script']}.py {' '.join(entry['args'])}: {'ok' if entry['status'] == 0 else 'FAILED'} in {entry['seconds']:.0f} s")
    args.json.write_text(json.dumps({"quick": args.quick, "runs": runs, "figures": rows}, indent=1) + "\n")
    print(f"figures written to {args.json}")
    return 0 if all(entry["status"] == 0 for entry in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
