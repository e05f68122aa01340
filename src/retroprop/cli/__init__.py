"""The ``retroprop`` command: train, evaluate, export, bench."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from retroprop.cli.config import TrainConfig

HELP = {
    "dataset": "digits (default), mnist, fashion-mnist (any case), or a .csv/.npz file",
    "model": "architecture: mlp (default) or lenet5 (28x28 images)",
    "hidden": "hidden layer sizes of the MLP, comma-separated (default 256,128; in TOML "
              "also a list [256, 128])",
    "activation": "hidden activation: relu (default), tanh, sigmoid, lecun_tanh, elu, ...",
    "optimizer": "sgd (default), adam, adamw, rmsprop, adagrad, rprop, adaptive_gains, vsgd, "
                 "lbfgs, cg, newton (full-batch ones want --batch-size 0)",
    "lr": "learning rate (default 0.05)",
    "momentum": "momentum of SGD (default 0.9)",
    "nesterov": "Nesterov momentum (SGD)",
    "epochs": "number of epochs (default 20)",
    "batch_size": "mini-batch size (default 32); 0 for full-batch learning",
    "dropout": "drop probability after each hidden layer (default 0)",
    "validation_split": "fraction of the training data held out for validation (default 0.1)",
    "class_weight": "balanced: weigh each class by n_samples / (n_classes · count(class)) "
                    "over the training rows (each fold's with --cv), scikit-learn's "
                    "class_weight='balanced', for imbalanced classes (default: all alike)",
    "patience": "early stopping patience in epochs (default: no early stopping)",
    "seed": "random seed (default 0)",
    "checkpoint_every": "save RUN_DIR/checkpoint.rpz, from which --resume continues, after "
                        "every epoch and every N batches (default 100; 0: after epochs only)",
    "label_column": "CSV files: the label's column, a header name or an index from 0 "
                    "(default: the last column)",
    "missing": "CSV files: missing cells are an error (default), or filled with the "
               "column's mean or median, or their rows dropped: error, mean, median, drop",
    "verbose": "0: quiet; 1 (default): one line per epoch; 2: also per-layer gradient norms",
    "overwrite": "replace the files of an existing --output folder",
    "output": "run folder for model.rpz, history.csv, learning_curves.png "
              "(default runs/<dataset>-<time>, a new folder for each run)",
}

#: What to install for an optional package that a command needs.
def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="retroprop",
        description="Classic neural networks trained by backpropagation, on NumPy.")
    from retroprop import __version__

    main.add_argument("--version", action="version", version=f"retroprop {__version__}")
    commands = main.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a network and save the run",
                                description="Train a classifier; flags override --config.")
    train.add_argument("--config", help="TOML file with any of the settings below")
    for field in fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        if field.type in ("bool", bool):
            train.add_argument(flag, action="store_true", default=None, help=HELP[field.name])
        else:
            kind = {"int": int, "float": float, "int | None": int}.get(str(field.type), str)
            train.add_argument(flag, type=kind, default=None, help=HELP[field.name])
    train.add_argument("--quiet", action="store_true", help="no progress output")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue the interrupted run in "
                       "RUN_DIR from its checkpoint, with the settings it recorded; it ends "
                       "as the uninterrupted run would")
    train.add_argument("--cv", type=int, metavar="K", help="k-fold cross-validation on the "
                       "training split instead of one run: each fold's scores, mean and std")
    train.add_argument("--scheduler", help="with --cv: train the folds on the Dask cluster at "
                       "this address (tcp://host:port)")

    evaluate = commands.add_parser("evaluate", help="accuracy and confusion matrix of a model",
                                   description="Evaluate a saved model on a test split.")
    evaluate.add_argument("model", help="model file written by retroprop train (model.rpz), "
                          "or its run folder")
    evaluate.add_argument("--dataset", help="data set (default: the one it was trained on)")
    for name in ("label_column", "missing"):
        evaluate.add_argument("--" + name.replace("_", "-"),
                              help=HELP[name] + "; default: as the model was trained")
    from retroprop.train.trainer import PREDICT_BATCH

    evaluate.add_argument("--batch-size", type=int, metavar="N",
                          help="examples the model takes at once, "
                          f"to bound the memory on a big test set (default {PREDICT_BATCH}); "
                          "the results do not depend on it")

    experiment = commands.add_parser(
        "experiment", help="run one of the lectures' experiments",
        description="Run a lecture experiment: print its table and save its figure.")
    from retroprop.experiments import EXPERIMENTS

    experiment.add_argument("name", help=", ".join(EXPERIMENTS))
    experiment.add_argument("--output", default=".", help="folder for NAME.png (default .)")
    experiment.add_argument("--epochs", type=int, help="epochs (or steps, weeks), for the "
                            "experiments that train; each has its own default")

    report = commands.add_parser("report", help="rebuild a run's HTML report",
                                 description="Rebuild RUN_DIR/report.html from the run's files.")
    report.add_argument("run_dir", help="folder written by retroprop train")

    from retroprop.cli.export import add_parser as add_export
    from retroprop.cli.tune import add_parser as add_tune

    add_export(commands)
    add_tune(commands)

    from retroprop.bench.suite import NAMES

    bench = commands.add_parser(
        "bench", help="speed against PyTorch, scikit-learn and SciPy",
        description="Run every benchmark (or one), print the table and write "
                    "bench-results.json and bench-results.md (needs torch).")
    bench.add_argument("name", nargs="?", default="all", choices=NAMES,
                       help="all (default); step: one MLP training step; mlp: one MLP epoch at "
                            "batch 128 and 1024; cnn: one LeNet-5 and one convnet epoch; "
                            "inference: samples/s at batch 1, 64, 10000; lbfgs: full-batch "
                            "L-BFGS against SciPy; memory: peak memory of an epoch; flops: "
                            "GFLOP/s of the MLP epoch; optimizers: every optimizer's curves; "
                            "tune: a 20-trial random search, serial and on 2 processes")
    bench.add_argument("--quick", action="store_true",
                       help="tiny sizes and random data: checks that the benchmarks run")
    bench.add_argument("--output", help="folder for the result files (default .)")
    bench.add_argument("--threads", type=int, help="BLAS and PyTorch threads (default: "
                       "NumPy's BLAS's current count)")
    bench.add_argument("--rounds", type=int, help="timed rounds after the warm-up round "
                       "(default: each benchmark's own)")
    bench.add_argument("--samples", type=int, help="training (and at most as many test) "
                       "images of the Fashion-MNIST epochs (default: all)")
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "train":
            from retroprop.cli.config import read_toml, resolve
            from retroprop.cli.train import train

            flags = {f.name: getattr(args, f.name) for f in fields(TrainConfig)}
            given: set[str] = set()
            if args.resume is not None:
                config = resumed_config(args, flags)
            else:
                settings = read_toml(args.config) if args.config else {}
                config, given = resolve(settings, flags)
            if args.scheduler is not None and args.cv is None:
                raise ValueError(f"--scheduler {args.scheduler} trains the folds of --cv K on a "
                                 "cluster; a single run (no --cv) trains in this process")
            if args.cv is not None:
                from retroprop.cli.cross_validation import cross_validate_config

                cross_validate_config(config, args.cv, args.scheduler, given)
            elif args.quiet:
                import contextlib
                import io

                with contextlib.redirect_stdout(io.StringIO()):
                    train(config, given, resume=args.resume is not None)
            else:
                train(config, given, resume=args.resume is not None)
        elif args.command == "experiment":
            from pathlib import Path

            from retroprop import experiments
            from retroprop.callbacks.progress import reporting_fits

            check_experiment(args.name, args.epochs)
            Path(args.output).mkdir(parents=True, exist_ok=True)  # before the (slow) run
            with reporting_fits(args.name):
                result = experiments.run(args.name, epochs=args.epochs)
            print(result.table())
            figure = Path(args.output) / f"{args.name}.png"
            result.plot(figure)
            print(f"figure saved to {figure}")
        elif args.command == "report":
            from retroprop.report import build_report

            print(f"report written to {build_report(args.run_dir)}")
        elif args.command == "export":
            from retroprop.cli.export import run

            run(args)
        elif args.command == "tune":
            from retroprop.cli.tune import run as run_tune

            run_tune(args)
        elif args.command == "evaluate":
            from retroprop.cli.train import evaluate

            evaluate(args.model, args.dataset, args.label_column, args.missing,
                     args.batch_size)
        else:
            from retroprop.bench.settings import Settings
            from retroprop.bench.suite import EXTRAS, TABLE
            from retroprop.bench.suite import main as bench

            if args.name in EXTRAS:  # each runs as it is and prints its own report
                flags_given = [flag for flag, value in (
                    ("--quick", args.quick or None), ("--output", args.output),
                    ("--threads", args.threads), ("--rounds", args.rounds),
                    ("--samples", args.samples)) if value is not None]
                if flags_given:
                    raise ValueError(f"bench {args.name} runs at its own fixed size and prints "
                                     f"its report; {', '.join(flags_given)} apply to the table's "
                                     f"benchmarks (all, {', '.join(TABLE)})")
            return bench(args.name, Settings(args.quick, args.rounds, args.samples),
                         args.output or ".", args.threads)
    except (ValueError, TypeError, FileNotFoundError, OSError, ImportError) as error:
        print(f"retroprop: error: {error}", file=sys.stderr)
        return 2
    except (RuntimeError, FloatingPointError) as error:
        # every fold or trial failed, or the training diverged: its first line, no traceback
        first_line = str(error).partition("\n")[0]
        print(f"retroprop: error: {first_line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130  # what has been saved and how to go on was printed where it stopped
    return 0


def check_experiment(name: str, epochs: int | None) -> None:
    """An unknown experiment names the close ones; ``--epochs`` is at least 1."""
    import difflib

    from retroprop.experiments import EXPERIMENTS

    if name not in EXPERIMENTS:
        close = difflib.get_close_matches(name.lower().replace("_", "-"), EXPERIMENTS, n=3)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        raise ValueError(f"unknown experiment {name!r}{hint}; known: {', '.join(EXPERIMENTS)}")
    if epochs is not None and epochs < 1:
        raise ValueError(f"experiment {name}: --epochs must be at least 1, got {epochs}")


def resumed_config(args: argparse.Namespace, flags: dict[str, Any]) -> TrainConfig:
    """``--resume RUN_DIR``: the settings recorded in the run folder; only how much to print
    may be given besides."""
    from retroprop.cli.config import recorded

    others = [f"--{k.replace('_', '-')}" for k, v in flags.items()
              if v is not None and k != "verbose"]
    others += [flag for flag, value in (("--config", args.config), ("--cv", args.cv))
               if value is not None]
    if others:
        raise ValueError(f"--resume continues a run with the settings it recorded in "
                         f"{args.resume}/config.json; {', '.join(others)} cannot be changed")
    config = recorded(args.resume)
    config.output = args.resume
    if flags["verbose"] is not None:
        config.verbose = int(flags["verbose"])
    return config


if __name__ == "__main__":
    sys.exit(main())
