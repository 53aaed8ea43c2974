"""Ranking quality of recommendations: NDCG@k and recall@k per request, averaged over requests.

A request's candidates are ranked by score, highest first, ties by candidate position (the order the
request listed them, so a constant score gives the request's own order). Relevance is binary here
(clicked); the gain of a relevant candidate at rank i (from 0) is 1 / log2(i + 2). NDCG@k divides
the DCG of the top k by the best possible (all relevant first); recall@k is the share of the
request's relevant candidates in its top k. Both are undefined for a request without a relevant
candidate: such requests are left out of the means (and counted).
"""

from __future__ import annotations

import math

import numpy as np


def dcg_at_k(relevance_ranked, k: int) -> float:
    """DCG of the first k relevances, in ranked order."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    rel = np.asarray(relevance_ranked, dtype=np.float64)[:k]
    return float(np.sum(rel / np.log2(np.arange(2, len(rel) + 2))))


def ndcg_at_k(relevance_ranked, k: int) -> float:
    """NDCG@k of one ranked list; NaN when nothing is relevant."""
    ideal = dcg_at_k(np.sort(np.asarray(relevance_ranked, dtype=np.float64))[::-1], k)
    return math.nan if ideal == 0 else dcg_at_k(relevance_ranked, k) / ideal


def recall_at_k(relevance_ranked, k: int) -> float:
    """Share of the relevant items ranked in the top k; NaN when nothing is relevant."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    rel = np.asarray(relevance_ranked) > 0
    total = int(rel.sum())
    return math.nan if total == 0 else int(rel[:k].sum()) / total


def ranked(score, position) -> np.ndarray:
    """Indices of one request's candidates, best first: score descending, then position ascending."""
    return np.lexsort((np.asarray(position), -np.asarray(score, dtype=np.float64)))


def per_request(request_id, position, relevance, score, k: int) -> tuple[np.ndarray, np.ndarray]:
    """NDCG@k and recall@k of each request that has a relevant candidate (arrays, one per request)."""
    request_id = np.asarray(request_id)
    n = len(request_id)
    if not (len(position) == len(relevance) == len(score) == n):
        raise ValueError("request_id, position, relevance and score must have the same length")
    position, relevance, score = np.asarray(position), np.asarray(relevance), np.asarray(score)
    order = np.argsort(request_id, kind="stable")
    bounds = np.flatnonzero(np.r_[True, request_id[order][1:] != request_id[order][:-1], True])
    ndcg, recall = [], []
    for a, b in zip(bounds[:-1], bounds[1:]):
        rows = order[a:b]
        rel = relevance[rows][ranked(score[rows], position[rows])]
        if rel.sum() == 0:
            continue
        ndcg.append(ndcg_at_k(rel, k))
        recall.append(recall_at_k(rel, k))
    return np.array(ndcg), np.array(recall)


def mean_quality(request_id, position, relevance, score, k: int) -> dict:
    """Mean NDCG@k and recall@k over the requests with a relevant candidate; ValueError if there are none."""
    ndcg, recall = per_request(request_id, position, relevance, score, k)
    if len(ndcg) == 0:
        raise ValueError("no request has a relevant candidate: NDCG and recall are undefined")
    return {f"ndcg_at_{k}": float(ndcg.mean()), f"recall_at_{k}": float(recall.mean()), "requests": int(len(ndcg))}


def bootstrap_difference(a: np.ndarray, b: np.ndarray, resamples: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95 % interval of mean(a - b), a and b paired per request, resampling requests."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = d[rng.integers(0, len(d), size=(resamples, len(d)))].mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))
