"""Tables of examples in text files (CSV): one example per row, features and one label column.

What a spreadsheet writes is accepted as it is: a header row or none, ``,``, ``;`` or tab
separators, decimal commas with ``;`` (the Spanish locale), class labels as words, the label
in any column, and missing cells (an error naming the row and column, or filled in).
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MISSING = ("", "na", "nan", "n/a", "null", "none", "?")
MISSING_POLICIES = ("error", "mean", "median", "drop")


@dataclass
class Table:
    """Features, labels and names read from a table.

    Attributes
    ----------
    X : ndarray (n, d) float64
    y : ndarray (n,)
        int64 when the labels are integers, class indices 0..C-1 when they are words
        (then ``class_names`` holds the words), float64 otherwise.
    feature_names : list of str
        The header's names, or ``column 1``, ``column 2``, ... (1-based, as a spreadsheet).
    class_names : list of str or None
    label_name : str
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    class_names: list[str] | None
    label_name: str


def _number(cell: str) -> float | None:
    """The cell's value, NaN for a missing cell, None for text."""
    text = cell.strip()
    if text.lower() in MISSING:
        return float("nan")
    try:
        return float(text)
    except ValueError:
        return None


def _numbers(grid: np.ndarray) -> np.ndarray | None:
    """A block of cells as float64 (NaN where missing), or None if one holds text."""
    try:
        return grid.astype(np.float64)  # the common case, in one pass in C
    except ValueError:
        pass
    grid = np.char.strip(grid)
    grid = np.where(np.isin(np.char.lower(grid), MISSING), "nan", grid)
    try:
        return grid.astype(np.float64)
    except ValueError:
        return None


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", "\t", ",")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def _label_index(label_column: int | str | None, header: list[str] | None, width: int,
                 where: str) -> int:
    if label_column is None:
        return width - 1
    if isinstance(label_column, str):
        if header is not None and label_column in header:
            return header.index(label_column)
        try:
            label_column = int(label_column)
        except ValueError:
            known = f"the header has {header}" if header else "the file has no header row"
            raise ValueError(f"{where}: label_column {label_column!r} is not a column name "
                             f"({known}) nor an index") from None
    if not -width <= label_column < width:
        raise ValueError(f"{where}: label_column {label_column} is out of range for "
                         f"{width} columns (0..{width - 1}, or negative from the end)")
    return label_column % width


def _check_finite(values: np.ndarray, cells: np.ndarray, rows: np.ndarray,
                  columns: list[int], names: list[str], where: str) -> None:
    """Refuse infinite values (``inf``, or ``1e999``, which overflows): a network cannot
    learn from them. ``values`` (n, k) were read from ``cells``, the file's ``rows``
    (line numbers) and ``columns`` (indices)."""
    infinite = np.argwhere(np.isinf(values))
    if len(infinite):
        r, c = infinite[0]
        raise ValueError(f"{where}: row {rows[r]}, column {columns[c] + 1} "
                         f"({names[columns[c]]!r}) holds {cells[r, c].strip()!r}, an infinite "
                         f"number; {len(infinite)} cells are infinite in all")


def _fill_missing(X: np.ndarray, y: np.ndarray, missing: str, rows: np.ndarray,
                  names: list[str], where: str) -> tuple[np.ndarray, np.ndarray]:
    holes = np.isnan(X)
    if not holes.any():
        return X, y
    if missing == "error":
        r, c = np.argwhere(holes)[0]
        raise ValueError(f"{where}: missing value in row {rows[r]}, column {c + 1} "
                         f"({names[c]!r}); {int(holes.sum())} cells are missing in all. Fill "
                         f"them in, or choose missing='mean', 'median' or 'drop' "
                         f"(retroprop train --missing)")
    if missing == "drop":
        keep = ~holes.any(axis=1)
        return X[keep], y[keep]
    fill = (np.nanmean if missing == "mean" else np.nanmedian)(X, axis=0)
    empty = np.isnan(fill)
    if empty.any():
        raise ValueError(f"{where}: column {names[int(np.argmax(empty))]!r} has no value to "
                         f"compute a {missing} from")
    return np.where(holes, fill, X), y


def read_table(path: str | os.PathLike[str], label_column: int | str | None = None,
               missing: str = "error", header: bool | None = None) -> Table:
    """Read a CSV file of examples.

    Parameters
    ----------
    path : path of a text file
    label_column : int or str, optional
        The label's column: a header name or an index (0-based, negative from the end).
        The last column by default.
    missing : {"error", "mean", "median", "drop"}
        Missing cells (empty, ``NA``, ``NaN``, ``?``) in the features: an error naming the
        first one's row and column, the column's mean or median, or drop the row. A
        missing label is always an error.
    header : bool, optional
        Whether the first row names the columns; guessed when None (it is a header if it
        holds more text cells than the second row).

    Notes
    -----
    The separator is the most frequent of ``;``, tab and ``,`` in the first line; with
    ``;`` every comma outside the header is a decimal comma (``3,14``), as a spreadsheet
    in a Spanish locale writes it. Labels that are all numbers stay numbers (int64 if
    integral); otherwise they are class names, sorted, and ``y`` holds their indices.
    Infinite numbers (``inf``, or ``1e999``, beyond float64) are an error naming the first
    one's row and column. The file must be UTF-8 (with or without a byte-order mark).
    """
    where = str(path)
    if missing not in MISSING_POLICIES:
        raise ValueError(f"{where}: missing must be one of {MISSING_POLICIES}, got {missing!r}")
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            text = handle.read()
    except UnicodeDecodeError as error:
        raise ValueError(f"{where}: not UTF-8 text ({error.reason} at byte {error.start}); "
                         "save it as \"CSV UTF-8\" (comma or semicolon separated)") from None
    lines = text.splitlines()
    if not lines:
        raise ValueError(f"{where}: the file is empty")
    delimiter = _delimiter(lines[0])
    decimal_comma = delimiter == ";"
    first = next(csv.reader(lines[:1], delimiter=delimiter), [])
    if decimal_comma:  # with ';' separators a comma can only be a decimal comma
        lines = [line.replace(",", ".") for line in lines]
    rows = [(number, row) for number, row in enumerate(csv.reader(lines, delimiter=delimiter),
                                                        start=1) if "".join(row).strip()]
    if not rows:
        raise ValueError(f"{where}: the file holds no rows")
    width = len(rows[0][1])

    def text_cells(row: list[str]) -> int:
        return sum(_number(c) is None for c in row)

    if header is None:
        header = len(rows) == 1 or text_cells(rows[0][1]) > text_cells(rows[1][1])
    names = [c.strip() for c in (first if rows[0][0] == 1 else rows[0][1])] if header else None
    body = rows[1:] if header else rows
    if not body:
        raise ValueError(f"{where}: the file holds a header but no examples")
    if width < 2:
        raise ValueError(f"{where}: needs at least two columns (features and a label), found "
                         f"one (separator {delimiter!r})")
    for number, row in body:
        if len(row) != width:
            raise ValueError(f"{where}: row {number} has {len(row)} cells, the first row has "
                             f"{width} (separator {delimiter!r})")
    label = _label_index(label_column, names, width, where)
    columns = [c for c in range(width) if c != label]
    column_names = names or [f"column {c + 1}" for c in range(width)]
    line_numbers = np.array([number for number, _ in body])

    grid = np.array([row for _, row in body], dtype=str)
    features = _numbers(grid[:, columns])
    if features is None:
        for number, row in body:
            for c in columns:
                if _number(row[c]) is None:
                    raise ValueError(f"{where}: row {number}, column {c + 1} "
                                     f"({column_names[c]!r}) holds {row[c].strip()!r}, not a "
                                     f"number; only the label column may hold words. If "
                                     f"this column is the label, pass label_column="
                                     f"{(names[c] if names else c)!r} (retroprop train "
                                     f"--label-column)")
        raise ValueError(f"{where}: the features are not all numbers")
    _check_finite(features, grid[:, columns], line_numbers, columns, column_names, where)

    cells = np.char.strip(grid[:, label])
    blank = np.flatnonzero(np.isin(np.char.lower(cells), MISSING))
    if len(blank):
        raise ValueError(f"{where}: row {line_numbers[blank[0]]} has no label (column "
                         f"{label + 1}, {column_names[label]!r})")
    values = _numbers(cells)
    class_names: list[str] | None = None
    if values is None:
        words, codes = np.unique(cells, return_inverse=True)
        labels, class_names = codes.astype(np.int64), [str(w) for w in words]
    else:
        _check_finite(values[:, None], cells[:, None], line_numbers, [label], column_names,
                      where)
        labels = values.astype(np.int64) if np.all(values == np.round(values)) else values
    X, y = _fill_missing(features, labels, missing, line_numbers,
                         [column_names[c] for c in columns], where)
    return Table(X, y, [column_names[c] for c in columns], class_names, column_names[label])


__all__ = ["MISSING_POLICIES", "Table", "read_table"]
