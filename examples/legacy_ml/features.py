# features.py -- feature engineering for the churn model (v3, "final_final")
# columns of the raw rows: monthly_spend, age, tenure_months, n_orders, support_tickets
import numpy as np

CLIP_SIGMA = 4.0
EPS = 1e-8


def build_features(rows):
    X = np.array(rows, dtype=float)     # copy, the caller keeps using rows
    if X.ndim == 1:
        X = X.reshape(1, -1)
    # spend and orders are very skewed
    X[:, 0] = np.log1p(np.maximum(X[:, 0], 0))
    X[:, 3] = np.log1p(np.maximum(X[:, 3], 0))
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std[std < EPS] = 1.0
    Z = (X - mean) / std
    Z = np.clip(Z, -CLIP_SIGMA, CLIP_SIGMA)
    # polynomial terms (Hans says the interaction of spend and tenure is "the signal")
    spend_sq = Z[:, 0] ** 2
    tenure_sq = Z[:, 2] ** 2
    spend_x_tenure = Z[:, 0] * Z[:, 2]
    tickets_per_tenure = np.clip(X[:, 4] / (X[:, 2] + 1.0), 0, 3)
    # age_sq = Z[:, 1] ** 2     # made it worse, 2019-04
    return np.column_stack([Z, spend_sq, tenure_sq, spend_x_tenure, tickets_per_tenure])


def add_noise_features(X, n=2, scale=0.1):
    # "random probes": features that should get ~0 weight. Used to sanity check the model.
    noise = np.random.normal(0.0, scale, size=(X.shape[0], n))
    return np.hstack([X, noise])
