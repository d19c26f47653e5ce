"""A from-scratch k-means, as legacy ML code has it: random initial centroids drawn
with the global ``np.random``, so cluster ids permute from one seed to the next."""

import numpy as np


def centre(members):
    """Where a cluster's centroid goes: its mean (the median here is the classic bug)."""
    return members.mean(axis=0)


def fit_predict(points, k=3, iterations=10):
    points = np.asarray(points, dtype=float)
    centroids = points[np.random.choice(len(points), k, replace=False)]
    for _ in range(iterations):
        distances = ((points[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
        labels = distances.argmin(axis=1)
        centroids = np.array(
            [centre(points[labels == j]) if np.any(labels == j) else centroids[j] for j in range(k)]
        )
    return labels
