import math

import numpy as np
import pytest
from conftest import DAY_MS, START_MS

from ranking_metrics import average_precision, card_precision_at_k

# Two days, hand-computed. Day 0: cards by highest score c1 0.9 (a fraud that day, on its 0.2
# transaction), c2 0.8 (none), c3 0.7 (fraud), c4 0.1 (fraud). Day 1: c1 0.5 (none), then c2, c3 and
# c5 tie at 0.6 (ties by card id: c2 fraud, c3 fraud, c5 none).
ROWS = [
    (0, "c1", 0, 0.9), (0, "c1", 1, 0.2), (0, "c2", 0, 0.8), (0, "c3", 1, 0.7), (0, "c4", 1, 0.1),
    (1, "c1", 0, 0.5), (1, "c5", 0, 0.6), (1, "c3", 1, 0.6), (1, "c2", 1, 0.6),
]


def columns():
    day, customer, y, score = zip(*ROWS)
    event_time = START_MS + np.array(day) * DAY_MS + 3_600_000 * np.arange(len(ROWS))
    return event_time, np.array(customer), np.array(y), np.array(score)


def test_card_precision_at_2_by_hand():
    # Day 0 top 2: c1 (fraud), c2 (none) = 1/2. Day 1 top 2: c2, c3 (both fraud) = 2/2. Mean 0.75.
    assert card_precision_at_k(*columns(), k=2) == pytest.approx(0.75)


def test_card_precision_counts_cards_not_transactions():
    # Top 1 by transaction on day 0 is c1's genuine 0.9, but c1 had a fraud that day: the card counts.
    # Day 1: c2 wins the tie by card id. (1 + 1) / 2.
    assert card_precision_at_k(*columns(), k=1) == pytest.approx(1.0)


def test_card_precision_with_fewer_cards_than_k_is_over_those():
    # Day 0: 3 of 4 cards compromised; day 1: 2 of 4.
    assert card_precision_at_k(*columns(), k=100) == pytest.approx((3 / 4 + 2 / 4) / 2)


def test_card_precision_rejects_bad_input():
    event_time, customer, y, score = columns()
    with pytest.raises(ValueError, match="k must be"):
        card_precision_at_k(event_time, customer, y, score, k=0)
    with pytest.raises(ValueError, match="same length"):
        card_precision_at_k(event_time[:-1], customer, y, score, k=2)
    assert math.isnan(card_precision_at_k(event_time[:0], customer[:0], y[:0], score[:0], k=2))


def test_average_precision_is_nan_without_both_classes():
    assert math.isnan(average_precision(np.array([0, 0]), np.array([0.1, 0.2])))
    assert average_precision(np.array([0, 1]), np.array([0.1, 0.2])) == pytest.approx(1.0)
