"""Rows of the benchmark table, and the files they are written to (``bench-results.json``
and ``bench-results.md``).

A row compares retroprop with one reference (PyTorch, scikit-learn, SciPy, the machine's
matrix-product rate) on one case. Its ``ratio`` is the median over rounds of the ratio
measured within a round, with the range of those ratios; ``lower_is_better`` says which
way the ratio should go (times: lower; throughputs: higher). A row may carry a ``note``,
which the Markdown table shows after its case.
"""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path
from typing import Any

from retroprop.atomic import atomic_write
from retroprop.bench.timing import ratio_summary

Row = dict[str, Any]


def row(benchmark: str, case: str, unit: str, ours: list[float], reference: str,
        theirs: list[float], target: float | None = None, lower_is_better: bool = True,
        **extra: Any) -> Row:
    """One table row from the per-round values of retroprop and of the reference."""
    summary = ratio_summary(ours, theirs)
    met = None if target is None else (summary["ratio"] <= target if lower_is_better
                                       else summary["ratio"] >= target)
    return {"benchmark": benchmark, "case": case, "unit": unit,
            "retroprop": statistics.median(ours), "reference": reference,
            "reference_value": statistics.median(theirs), **summary, "rounds": len(ours),
            "per_round": {"retroprop": list(ours), "reference": list(theirs)},
            "lower_is_better": lower_is_better, "target": target, "met": met, **extra}


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def markdown(rows: list[Row]) -> str:
    """The rows as a Markdown table."""
    lines = ["| benchmark | case | retroprop | reference | ratio (range) | target | met |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        target = "—" if r["target"] is None else \
            f"{'≤' if r['lower_is_better'] else '≥'} {r['target']:.3g}"
        met = {None: "—", True: "yes", False: "no"}[r["met"]]
        case = f"{r['case']} ({r['note']})" if "note" in r else r["case"]
        lines.append(
            f"| {r['benchmark']} | {case} | {_number(r['retroprop'])} {r['unit']} | "
            f"{r['reference']} {_number(r['reference_value'])} {r['unit']} | "
            f"{r['ratio']:.2f} ({r['ratio_min']:.2f}–{r['ratio_max']:.2f}) | {target} | {met} |")
    return "\n".join(lines) + "\n"


def write(rows: list[Row], machine: dict[str, Any], directory: str | os.PathLike[str],
          settings: dict[str, Any]) -> tuple[Path, Path]:
    """``bench-results.json`` (machine, settings and rows) and ``bench-results.md`` (the
    table) in ``directory``, each written atomically; returns their paths."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    json_path, markdown_path = folder / "bench-results.json", folder / "bench-results.md"
    atomic_write(json_path, json.dumps({"machine": machine, "settings": settings,
                                        "rows": rows}, indent=2) + "\n")
    atomic_write(markdown_path, markdown(rows))
    return json_path, markdown_path
