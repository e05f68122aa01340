"""``TuneResult``: the trials of a search as a table, the best configuration, a CSV file and
plots of the best score against trials and of each parameter's effect."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from retroprop._optional import pyplot
from retroprop.tune.space import Domain


@dataclass
class TuneResult:
    """Outcome of :func:`retroprop.tune.search`.

    Attributes
    ----------
    trials : list of dict
        One row per trial, in trial order: ``number``, ``state`` ("COMPLETE" or "FAIL"),
        ``score``, each parameter, ``seconds``, ``error`` and the ``pid`` of the process
        that ran it.
    best_params : dict
    best_score : float
    best_trial : int or None
    best_model : the best configuration retrained on training + validation data
    preprocess : the ``preprocess`` transformer of the search fitted on the rows that
        ``best_model`` was retrained on (None without one); its ``transform`` gives
        ``best_model``'s inputs
    metric, direction : what was optimized, and whether "maximize" or "minimize"
    """

    trials: list[dict[str, Any]]
    params: list[str]
    metric: str
    direction: str
    best_trial: int | None = None
    best_params: dict[str, Any] = field(default_factory=dict)
    best_score: float | None = None
    best_model: Any = None
    preprocess: Any = None

    @classmethod
    def from_study(cls, study: Any, space: dict[str, Domain], metric: str, direction: str
                   ) -> TuneResult:
        from optuna.trial import TrialState

        rows = []
        for trial in sorted(study.get_trials(deepcopy=False), key=lambda t: t.number):
            if not trial.state.is_finished():
                continue
            rows.append({"number": trial.number, "state": trial.state.name,
                         "score": trial.value if trial.state == TrialState.COMPLETE else None,
                         **{n: space[n].decode(v) for n, v in trial.params.items()},
                         "seconds": trial.user_attrs.get("seconds"),
                         "pid": trial.user_attrs.get("pid"),
                         "error": trial.user_attrs.get("error", "")})
        result = cls(rows, list(space), metric, direction)
        done = [r for r in rows if r["state"] == "COMPLETE"]
        if done:
            pick = max if direction == "maximize" else min
            best = pick(done, key=lambda r: r["score"])
            result.best_trial, result.best_score = best["number"], best["score"]
            result.best_params = {n: best[n] for n in result.params}
        return result

    def scores(self) -> np.ndarray:
        """Each trial's score (NaN for failed ones), in trial order."""
        return np.array([np.nan if r["score"] is None else r["score"] for r in self.trials])

    def running_best(self) -> np.ndarray:
        """The best score found up to each trial."""
        scores = self.scores()
        sign = 1.0 if self.direction == "maximize" else -1.0
        filled = np.where(np.isnan(scores), -np.inf, sign * scores)
        return sign * np.maximum.accumulate(filled)

    def table(self) -> str:
        """The trials as aligned text, best marked with *."""
        columns = ["number", "state", "score", *self.params, "seconds"]
        lines = ["  ".join(f"{c:>14}" for c in columns)]
        for row in self.trials:
            mark = "*" if row["number"] == self.best_trial else " "
            cells = [_cell(row.get(c)) for c in columns]
            lines.append("  ".join(f"{c:>14}" for c in cells) + f" {mark}")
        return "\n".join(lines)

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the table (one row per trial) as CSV, atomically."""
        path = Path(path)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, ["number", "state", "score", *self.params, "seconds",
                                         "error"], extrasaction="ignore")
        writer.writeheader()
        for row in self.trials:
            writer.writerow({k: repr(v) if isinstance(v, tuple) else v for k, v in row.items()})
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(buffer.getvalue())
        os.replace(temporary, path)
        return path

    def plot(self, folder: str | os.PathLike[str]) -> list[Path]:
        """``best_score.png`` (each trial's score and the best so far) and
        ``parameters.png`` (the score against each parameter)."""
        plt = pyplot()

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        numbers = [r["number"] for r in self.trials]
        figure, axis = plt.subplots(figsize=(6, 4))
        axis.plot(numbers, self.scores(), "o", alpha=0.5, label="trial")
        axis.step(numbers, self.running_best(), where="post", label="best so far")
        axis.set_xlabel("trial")
        axis.set_ylabel(self.metric)
        axis.legend()
        paths = [folder / "best_score.png"]
        _save(figure, paths[0])
        figure, axes = plt.subplots(1, len(self.params), figsize=(4 * len(self.params), 3.5),
                                    squeeze=False)
        for axis, name in zip(axes[0], self.params, strict=True):
            values = [r.get(name) for r in self.trials]
            if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                axis.plot(values, self.scores(), "o", alpha=0.6)
            else:
                labels = sorted({repr(v) for v in values})
                axis.plot([labels.index(repr(v)) for v in values], self.scores(), "o", alpha=0.6)
                axis.set_xticks(range(len(labels)), labels, rotation=30, fontsize=7)
            axis.set_xlabel(name)
            axis.set_ylabel(self.metric)
        figure.tight_layout()
        paths.append(folder / "parameters.png")
        _save(figure, paths[1])
        return paths


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.5g}"
    return str(value)


def _save(figure: Any, path: Path) -> None:
    """Save a figure atomically, then close it."""
    plt = pyplot()

    temporary = path.with_name(path.stem + ".tmp" + path.suffix)
    figure.savefig(temporary, dpi=100)
    plt.close(figure)
    os.replace(temporary, path)
