import argparse

import pytest

from selection import add_selection_arguments, check_selection_arguments


def parse(*args: str) -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    add_selection_arguments(ap)
    parsed = ap.parse_args(list(args))
    check_selection_arguments(ap, parsed)
    return parsed


def test_defaults_apply_with_select():
    args = parse("--select")
    assert (args.families, args.folds, args.fold_days, args.trials_per_family, args.seed) == (["gbdt", "rf", "logreg"], 4, 7, 4, 0)
    args = parse("--select", "--families", " logreg , gbdt", "--folds", "3", "--trials-per-family", "2", "--seed", "5")
    assert (args.families, args.folds, args.trials_per_family, args.seed) == (["logreg", "gbdt"], 3, 2, 5)
    assert parse("--select", "--folds-end", "2026-01-02").folds_end == 1_767_312_000_000  # 2026-01-02T00:00:00Z


def test_selection_is_off_by_default():
    assert parse().select is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--select", "--families", "gbdt,svm"], "families are a comma-separated list of gbdt, rf, logreg"),
        (["--select", "--families", "rf,rf"], "names a family twice"),
        (["--select", "--families", ","], "families are a comma-separated list"),
        (["--select", "--folds", "0"], "0 is below the minimum 1"),
        (["--select", "--folds", "two"], "'two' is not an integer"),
        (["--select", "--trials-per-family", "0"], "0 is below the minimum 1"),
        (["--select", "--fold-days", "-3"], "-3 is below the minimum 1"),
        (["--select", "--seed", "x"], "invalid int value"),
        (["--families", "rf"], "--families needs --select"),
        (["--trials-per-family", "3"], "--trials-per-family needs --select"),
        (["--seed", "3"], "--seed needs --select"),
        (["--select", "--folds-end", "2026-02-30"], "'2026-02-30' is not a date like 2026-03-01"),
        (["--folds-end", "2026-03-01"], "--folds-end needs --select"),
    ],
)
def test_bad_selection_options_are_rejected(capsys, args, message):
    with pytest.raises(SystemExit) as exit:
        parse(*args)
    assert exit.value.code == 2
    assert message in capsys.readouterr().err
