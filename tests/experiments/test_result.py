"""ExperimentResult.plot: panels in rows of three, and each panel's own drawing."""

import matplotlib.image

from retroprop.experiments import ExperimentResult, Panel


def test_panels_wrap_in_rows_of_three_and_draw_runs(tmp_path):
    drawn = []
    panels = [Panel(f"p{i}", curves={"line": ([0, 1], [0, i])}) for i in range(4)]
    panels[3].draw = lambda axis: drawn.append(axis.imshow([[0, 1], [1, 0]]))
    result = ExperimentResult("demo", ["a"], [[1]], panels)
    result.plot(tmp_path / "demo.png")
    height, width = matplotlib.image.imread(tmp_path / "demo.png").shape[:2]
    assert (width, height) == (1650, 840)  # 3 columns of 5.5 in, 2 rows of 4.2 in, 100 dpi
    assert len(drawn) == 1


def test_grad_of_names_a_missing_gradient():
    import numpy as np
    import pytest

    from retroprop import Tensor
    from retroprop.experiments.result import grad_of

    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"no gradient on the tensor of shape \(3,\)"):
        grad_of(x)
    (x * 2).sum().backward()
    np.testing.assert_array_equal(grad_of(x), [2, 2, 2])


def test_table_of_no_rows_and_of_a_row_of_the_wrong_length():
    import pytest

    # no rows was a TypeError ('int' object is not iterable), a short row an IndexError
    assert ExperimentResult("empty", ["a", "bb"], []).table() == "empty\na  bb\n-  --"
    with pytest.raises(ValueError, match=r"row 1 has 1 cells, the table has 2 columns"):
        ExperimentResult("short", ["a", "b"], [[1, 2], [3]]).table()
