"""Derived statistics of the clustering: numbers blind to how clusters are numbered."""

import numpy as np


def inertia(inputs, labels):
    """Within-cluster sum of squared distances to each cluster's mean."""
    points = np.asarray(inputs["args"][0], dtype=float)
    total = 0.0
    for j in np.unique(labels):
        members = points[labels == j]
        total += float(((members - members.mean(axis=0)) ** 2).sum())
    return {"inertia": total}
