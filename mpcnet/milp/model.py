"""A solver-neutral mixed-integer linear program in matrix form.

``min c^T z  s.t.  row_lower <= A z <= row_upper,  col_lower <= z <= col_upper,
z_j integer where integrality[j]``. The encoder writes one, the solver backends read it: the
HiGHS backend hands the arrays to ``highspy`` as they are, the Pyomo backend builds a Pyomo
model from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass
class MilpStats:
    """Size of a program: what every build reports."""

    binaries: int
    continuous: int
    constraints: int
    nonzeros: int

    def to_dict(self) -> dict:
        return {"binaries": self.binaries, "continuous": self.continuous,
                "constraints": self.constraints, "nonzeros": self.nonzeros}


class MilpBuilder:
    """Accumulates columns and sparse rows, then produces a :class:`MilpModel`."""

    def __init__(self) -> None:
        self.col_lower: list[np.ndarray] = []
        self.col_upper: list[np.ndarray] = []
        self.cost: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.num_cols = 0
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []

    def add_cols(self, lower, upper, cost=0.0, integer: bool = False, size: int | None = None):
        """Add ``size`` columns; returns their indices."""
        lower = np.atleast_1d(np.asarray(lower, dtype=np.float64))
        size = size if size is not None else lower.shape[0]
        lower = np.broadcast_to(lower, (size,)).astype(np.float64)
        upper = np.broadcast_to(np.asarray(upper, dtype=np.float64), (size,)).astype(np.float64)
        self.col_lower.append(lower)
        self.col_upper.append(upper)
        self.cost.append(np.broadcast_to(np.asarray(cost, np.float64), (size,)).astype(float))
        self.integer.append(np.full(size, integer))
        idx = np.arange(self.num_cols, self.num_cols + size)
        self.num_cols += size
        return idx

    def add_row(self, cols, vals, lower: float, upper: float) -> int:
        """Add one row ``lower <= sum vals * z[cols] <= upper``; zero coefficients are dropped."""
        cols = np.asarray(cols, dtype=np.int64)
        vals = np.asarray(vals, dtype=np.float64)
        keep = vals != 0.0
        r = len(self.row_lower)
        self.rows.append(np.full(int(keep.sum()), r))
        self.cols.append(cols[keep])
        self.vals.append(vals[keep])
        self.row_lower.append(float(lower))
        self.row_upper.append(float(upper))
        return r

    def add_rows(self, a: sp.spmatrix, col_index: np.ndarray, lower, upper) -> np.ndarray:
        """Add the rows of sparse ``a`` (columns mapped through ``col_index``); returns rows."""
        a = sp.coo_matrix(a)
        start = len(self.row_lower)
        keep = a.data != 0.0
        self.rows.append(a.row[keep] + start)
        self.cols.append(np.asarray(col_index)[a.col[keep]])
        self.vals.append(a.data[keep])
        n = a.shape[0]
        self.row_lower.extend(np.broadcast_to(np.asarray(lower, float), (n,)).tolist())
        self.row_upper.extend(np.broadcast_to(np.asarray(upper, float), (n,)).tolist())
        return np.arange(start, start + n)

    def build(self) -> MilpModel:
        rows = np.concatenate(self.rows) if self.rows else np.zeros(0, np.int64)
        cols = np.concatenate(self.cols) if self.cols else np.zeros(0, np.int64)
        vals = np.concatenate(self.vals) if self.vals else np.zeros(0)
        a = sp.csr_matrix((vals, (rows, cols)), shape=(len(self.row_lower), self.num_cols))
        a.sum_duplicates()
        return MilpModel(
            cost=np.concatenate(self.cost), a=a,
            row_lower=np.asarray(self.row_lower), row_upper=np.asarray(self.row_upper),
            col_lower=np.concatenate(self.col_lower), col_upper=np.concatenate(self.col_upper),
            integrality=np.concatenate(self.integer))


@dataclass
class MilpModel:
    """The program's arrays (mutable: parameters are updated in place between solves)."""

    cost: np.ndarray
    a: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray

    @property
    def num_cols(self) -> int:
        return int(self.cost.shape[0])

    @property
    def num_rows(self) -> int:
        return int(self.row_lower.shape[0])

    def stats(self) -> MilpStats:
        """Counts; fixed binaries (``lower == upper``) are not counted as binaries."""
        free_int = self.integrality & (self.col_lower < self.col_upper)
        return MilpStats(binaries=int(free_int.sum()),
                         continuous=int((~self.integrality).sum()),
                         constraints=self.num_rows, nonzeros=int(self.a.nnz))
