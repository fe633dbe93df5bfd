"""Pareto-plot labels: points that sit close together get labels on separate lines; distant ones keep the default."""

from __future__ import annotations

from codeeff.leaderboard.plot import Point, _label_offsets


def test_labels_of_close_points_are_stacked_and_far_points_keep_their_place():
    points = [
        Point(1.00e8, 0.25, "baseline", True),
        Point(1.01e8, 0.25, "attn-bypass", False),  # same place: must move down a line
        Point(0.99e8, 0.249, "svd", False),  # almost the same: must move again
        Point(3.00e8, 0.00, "early-exit", False),  # far away: untouched
    ]
    offsets = _label_offsets(points, log_x=False)
    assert offsets[0] == (6, 5) and offsets[3] == (6, 5)
    dys = sorted(dy for _, dy in offsets[:3])
    assert dys == [-17, -6, 5]
