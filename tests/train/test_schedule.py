import pytest

from codeeff.model_adapters.early_exit import seed_exit_depths
from codeeff.train.schedule import lite_weights, parse_exits, parse_weights


def test_seed_schedule_is_the_adapters_one():
    assert parse_exits("seed", 28) == seed_exit_depths(28) == [4, 6, 8, 10, 12, 14, 18, 22, 26]
    assert parse_exits("4, 8 12", 16) == [4, 8, 12]


def test_lite_weights_budgets_and_geometric_decay():
    weights = lite_weights(seed_exit_depths(32), 32)
    first = [weights[d] for d in (4, 6, 8, 10, 12, 14, 16)]
    second = [weights[d] for d in (20, 24, 28)]
    assert sum(first) == pytest.approx(0.7) and sum(second) == pytest.approx(0.2) and weights[32] == 0.1
    for group in (first, second):
        assert all(b / a == pytest.approx(0.9) for a, b in zip(group, group[1:], strict=False))
    # the thesis' example: the first half of OPT-32 is [1, .9, .81, ...] before normalisation
    assert first[0] == pytest.approx(0.7 / sum(0.9**i for i in range(7)))


@pytest.mark.parametrize(
    ("value", "layers"), [("seed", 4), ("0,2", 6), ("2,6", 6), ("a,b", 6), ("", 6)]
)  # fmt: skip
def test_bad_exits_are_one_clear_error(value, layers):
    with pytest.raises(ValueError, match="--exits"):
        parse_exits(value, layers)


def test_user_weights_need_one_per_exit_plus_final():
    assert parse_weights("1 2 3", [2, 4], 6) == {2: 1.0, 4: 2.0, 6: 3.0}
    with pytest.raises(ValueError, match="3 values needed"):
        parse_weights("1 2", [2, 4], 6)
    with pytest.raises(ValueError, match="≥ 0"):
        parse_weights("1 -2 3", [2, 4], 6)
