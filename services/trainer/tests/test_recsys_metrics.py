import math

import numpy as np
import pytest

from recsys_metrics import bootstrap_difference, dcg_at_k, mean_quality, ndcg_at_k, per_request, ranked, recall_at_k

L3, L5 = math.log2(3), math.log2(5)


def test_ndcg_at_k_hand_computed():
    # relevant at ranks 2 and 4 (from 1): DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3)
    assert ndcg_at_k([0, 1, 0, 1], 10) == pytest.approx((1 / L3 + 1 / L5) / (1 + 1 / L3))
    # the top 2 hold only the first of them; the ideal top 2 holds both
    assert ndcg_at_k([0, 1, 0, 1], 2) == pytest.approx((1 / L3) / (1 + 1 / L3))
    assert ndcg_at_k([1, 0, 0], 1) == 1.0
    assert ndcg_at_k([0, 0, 1], 2) == 0.0
    assert ndcg_at_k([1, 1, 0], 10) == 1.0
    assert math.isnan(ndcg_at_k([0, 0, 0], 10))
    assert dcg_at_k([1, 1, 1], 2) == pytest.approx(1 + 1 / L3)


def test_recall_at_k_hand_computed():
    assert recall_at_k([0, 1, 0, 1], 2) == 0.5
    assert recall_at_k([0, 1, 0, 1], 4) == 1.0
    assert recall_at_k([0, 0, 1], 1) == 0.0
    assert math.isnan(recall_at_k([0, 0], 10))
    with pytest.raises(ValueError, match="k must be at least 1"):
        recall_at_k([1], 0)
    with pytest.raises(ValueError, match="k must be at least 1"):
        ndcg_at_k([1], 0)


def test_ranked_breaks_ties_by_position():
    assert list(ranked([0.2, 0.9, 0.2, 0.5], [0, 1, 2, 3])) == [1, 3, 0, 2]
    assert list(ranked([1, 1, 1], [2, 0, 1])) == [1, 2, 0]


def test_per_request_ranks_each_request_and_skips_those_without_a_click():
    # r1: scores put its click (position 2) first: NDCG 1, recall@1 1.
    # r2: no click: left out. r3: its click at position 0 ranked last of 3: NDCG 1/log2(4) = 0.5, recall@1 0.
    request = ["r1", "r3", "r1", "r2", "r3", "r1", "r3", "r2"]
    position = [0, 0, 1, 0, 1, 2, 2, 1]
    clicked = [0, 1, 0, 0, 0, 1, 0, 0]
    score = [0.1, 0.0, 0.2, 0.5, 0.3, 0.9, 0.3, 0.4]
    ndcg, recall = per_request(request, position, clicked, score, 1)
    assert list(ndcg) == [1.0, 0.0]
    assert list(recall) == [1.0, 0.0]
    ndcg, _ = per_request(request, position, clicked, score, 3)
    assert list(ndcg) == pytest.approx([1.0, 0.5])
    q = mean_quality(request, position, clicked, score, 3)
    assert q == pytest.approx({"ndcg_at_3": 0.75, "recall_at_3": 1.0, "requests": 2})


def test_mean_quality_without_any_click_is_an_error():
    with pytest.raises(ValueError, match="no request has a relevant candidate"):
        mean_quality(["r1", "r1"], [0, 1], [0, 0], [0.5, 0.1], 10)
    with pytest.raises(ValueError, match="same length"):
        per_request(["r1"], [0, 1], [0], [0.5], 10)


def test_bootstrap_difference_covers_the_mean_difference():
    rng = np.random.default_rng(1)
    a = rng.random(400) + 0.1
    b = rng.random(400)
    lo, hi = bootstrap_difference(a, b)
    assert lo < float(np.mean(a - b)) < hi
    assert bootstrap_difference(b, b) == (0.0, 0.0)
