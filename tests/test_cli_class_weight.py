"""``--class-weight balanced`` of retroprop train (a run and --cv) and ``class_weight`` in
tune's [estimator] table: scikit-learn's "balanced" weights over the rows that train."""

import json

import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

import retroprop as rp
import retroprop.model_selection as model_selection
from retroprop.cli import main
from retroprop.sklearn import MLPClassifier
from retroprop.train.trainer import training_rows


@pytest.fixture
def imbalanced_csv(tmp_path):
    """100 rows of one class and 20 of another, the label in the last column."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    labels = ["common"] * 100 + ["rare"] * 20
    X[100:] += 1.5
    order = rng.permutation(120)
    path = tmp_path / "imbalanced.csv"
    path.write_text("a,b,c,label\n" + "".join(f"{a:.4f},{b:.4f},{c:.4f},{labels[i]}\n"
                                              for i, (a, b, c) in zip(order, X[order],
                                                                      strict=True)))
    return path


def _balanced(y):
    classes = np.unique(y)
    per_class = compute_class_weight("balanced", classes=classes, y=y)
    return dict(zip(classes.tolist(), per_class.tolist(), strict=True))


def test_a_run_trains_with_the_balanced_weights_of_its_training_rows(imbalanced_csv, tmp_path,
                                                                     monkeypatch, capsys):
    seen = []
    fit = rp.Trainer.fit

    def recording_fit(self, X, y, *args, **kwargs):
        seen.append((np.array(y), kwargs["class_weight"], kwargs["validation_split"]))
        return fit(self, X, y, *args, **kwargs)

    monkeypatch.setattr(rp.Trainer, "fit", recording_fit)
    output = tmp_path / "run"
    assert main(["train", "--dataset", str(imbalanced_csv), "--class-weight", "balanced",
                 "--epochs", "1", "--hidden", "8", "--verbose", "0", "--output",
                 str(output)]) == 0
    (y, class_weight, split), = seen
    assert class_weight == _balanced(y[:training_rows(len(y), split)])
    assert class_weight[1] > 2 * class_weight[0]  # the rare class weighs more
    assert json.loads((output / "config.json").read_text())["class_weight"] == "balanced"
    assert main(["train", "--dataset", str(imbalanced_csv), "--epochs", "1", "--hidden", "8",
                 "--verbose", "0", "--output", str(tmp_path / "plain")]) == 0
    assert seen[1][1] is None
    assert "class_weight" not in json.loads((tmp_path / "plain" / "config.json").read_text())


def test_cv_trains_each_fold_with_the_balanced_weights_of_its_rows(imbalanced_csv,
                                                                   monkeypatch, capsys):
    seen = []
    fit_module = model_selection.fit_module

    def recording_fit_module(build_model, X, y, *args, **kwargs):
        seen.append((np.array(y), kwargs["sample_weight"]))
        return fit_module(build_model, X, y, *args, **kwargs)

    monkeypatch.setattr(model_selection, "fit_module", recording_fit_module)
    assert main(["train", "--dataset", str(imbalanced_csv), "--class-weight", "balanced",
                 "--cv", "3", "--epochs", "1", "--hidden", "8"]) == 0
    assert len(seen) == 3
    for y, weights in seen:
        table = _balanced(y)
        np.testing.assert_array_equal(weights, [table[label] for label in y])


def test_class_weight_is_checked_from_flags_and_toml(tmp_path, capsys):
    output = str(tmp_path / "run")
    assert main(["train", "--class-weight", "equal", "--epochs", "1", "--output", output]) == 2
    assert "--class-weight must be balanced (n_samples / (n_classes · count(class)), as " \
           "scikit-learn's), got 'equal'" in capsys.readouterr().err
    config = tmp_path / "train.toml"
    config.write_text("[train]\nclass_weight = 1\n")
    assert main(["train", "--config", str(config), "--output", output]) == 2
    assert "class_weight must be a string, got 1 (int)" in capsys.readouterr().err
    config.write_text('[train]\nclass_weight = "balanced"\nepochs = 1\nhidden = [8]\n'
                      "verbose = 0\n")
    assert main(["train", "--config", str(config), "--output", output]) == 0
    assert json.loads((tmp_path / "run" / "config.json").read_text())["class_weight"] == \
        "balanced"


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_tune_takes_class_weight_in_its_estimator_table(imbalanced_csv, tmp_path,
                                                        monkeypatch, capsys):
    seen = []
    fit = MLPClassifier.fit

    def recording_fit(self, X, y, *args, **kwargs):
        seen.append(self.class_weight)
        return fit(self, X, y, *args, **kwargs)

    monkeypatch.setattr(MLPClassifier, "fit", recording_fit)
    config = tmp_path / "search.toml"
    config.write_text(f"""
[search]
trials = 1
cv = 2

[data]
dataset = {str(imbalanced_csv)!r}

[estimator]
max_iter = 3
class_weight = "balanced"

[space]
alpha = {{ choice = [0.0, 0.01] }}
""")
    assert main(["tune", str(config), "--quiet"]) == 0
    assert seen == ["balanced"] * (2 + 1)  # two folds and the refit
    config.write_text(config.read_text().replace('"balanced"', '"even"'))
    assert main(["tune", str(config), "--quiet"]) == 2
    assert "The 'class_weight' parameter of MLPClassifier must be" in capsys.readouterr().err
