"""CSV files as spreadsheets write them: headers, word labels, any label column, ';' with
decimal commas, missing cells."""

import re

import numpy as np
import pytest

import retroprop as rp
from retroprop.datasets.table import read_table


def write(path, text):
    path.write_text(text)
    return path


def test_header_word_labels_and_label_first(tmp_path):
    path = write(tmp_path / "d.csv", "kind,a,b\nsetosa,1.5,2\nvirginica,3,4\nsetosa,5,6\n")
    table = read_table(path, label_column="kind")
    np.testing.assert_array_equal(table.X, [[1.5, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(table.y, [0, 1, 0])
    assert table.class_names == ["setosa", "virginica"]
    assert table.feature_names == ["a", "b"] and table.label_name == "kind"
    np.testing.assert_array_equal(read_table(path, label_column=0).y, [0, 1, 0])
    np.testing.assert_array_equal(read_table(path, label_column="0").y, [0, 1, 0])


def test_last_column_by_default_and_no_header(tmp_path):
    table = read_table(write(tmp_path / "d.csv", "1,2,0\n3,4,1\n"))
    assert table.y.dtype == np.int64 and table.class_names is None
    np.testing.assert_array_equal(table.X, [[1, 2], [3, 4]])
    assert table.feature_names == ["column 1", "column 2"]


def test_word_labels_in_the_last_column_do_not_make_a_header(tmp_path):
    table = read_table(write(tmp_path / "d.csv", "1,2,yes\n3,4,no\n5,6,yes\n"))
    assert len(table.X) == 3 and table.class_names == ["no", "yes"]


def test_semicolons_and_decimal_commas(tmp_path):
    path = write(tmp_path / "d.csv", "altura;peso;clase\n1,75;70,5;A\n1,62;55;B\n")
    table = read_table(path)
    np.testing.assert_allclose(table.X, [[1.75, 70.5], [1.62, 55.0]])
    assert table.class_names == ["A", "B"]
    headless = read_table(write(tmp_path / "e.csv", "1,5;2;0\n3;4,25;1\n"))
    np.testing.assert_allclose(headless.X, [[1.5, 2], [3, 4.25]])
    named = read_table(write(tmp_path / "f.csv", "peso, kg;altura;clase\n1;2;0\n3;4;1\n"))
    assert named.feature_names == ["peso, kg", "altura"]


def test_missing_cell_names_its_row_and_column(tmp_path):
    path = write(tmp_path / "d.csv", "a,b,y\n1,2,0\n3,,1\n5,6,0\n")
    with pytest.raises(ValueError, match=r"missing value in row 3, column 2 \('b'\)"):
        read_table(path)
    np.testing.assert_allclose(read_table(path, missing="mean").X[1], [3, 4])
    np.testing.assert_allclose(read_table(path, missing="median").X[1], [3, 4])
    assert len(read_table(path, missing="drop").X) == 2


def test_text_in_a_feature_and_bad_label_column_are_named(tmp_path):
    path = write(tmp_path / "d.csv", "a,b,y\n1,x,0\n3,4,1\n")
    with pytest.raises(ValueError, match=r"row 2, column 2 \('b'\) holds 'x'"):
        read_table(path)
    with pytest.raises(ValueError, match="label_column 'z' is not a column name"):
        read_table(path, label_column="z")
    with pytest.raises(ValueError, match="out of range for 3 columns"):
        read_table(path, label_column=7)
    with pytest.raises(ValueError, match="row 2 has 2 cells"):
        read_table(write(tmp_path / "e.csv", "1,2,0\n3,4\n"))


def test_plus_minus_one_labels_stay_numbers(tmp_path):
    table = read_table(write(tmp_path / "d.csv", "0,0,-1\n1,1,1\n"))
    np.testing.assert_array_equal(table.y, [-1, 1])


def test_dataset_names_in_any_case():
    assert rp.datasets.canonical_name("Fashion_MNIST") == "fashion-mnist"
    assert rp.datasets.canonical_name("DIGITS") == "digits"
    data = rp.datasets.load_dataset("Digits")
    assert data.source == "digits" and data.kind == "images" and data.maximum == 16
    fashion = rp.datasets.load_dataset("Fashion_MNIST")
    assert fashion.class_names[0] == "T-shirt/top" and fashion.class_names[9] == "Ankle boot"


def test_load_dataset_records_absolute_paths_and_class_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "d.csv", "y,a\nred,1\nblue,2\nred,3\nblue,4\nred,5\n")
    with pytest.raises(ValueError, match="pass label_column='y'"):
        rp.datasets.load_dataset("d.csv")
    data = rp.datasets.load_dataset("d.csv", label_column="y")
    assert data.source == str(tmp_path / "d.csv")
    assert data.class_names == ["blue", "red"] and data.kind == "features"


@pytest.mark.parametrize("text, where", [
    ("a,b,label\n1,inf,0\n3,4,1\n", "row 2, column 2 ('b') holds 'inf'"),
    ("a,b,label\n1,2,0\n-1e999,4,1\n", "row 3, column 1 ('a') holds '-1e999'"),
    ("a;b;label\n1,5;2;0\n3;4;1e999\n", "row 3, column 3 ('label') holds '1e999'"),
])
def test_infinite_numbers_are_refused_with_their_row_and_column(tmp_path, text, where):
    with pytest.raises(ValueError, match=re.escape(f"{where}, an infinite number")):
        read_table(write(tmp_path / "d.csv", text))


def test_a_file_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes("tamaño,clase\n1,0\n2,1\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"d.csv: not UTF-8 text .* \"CSV UTF-8\""):
        read_table(path)
