#!/usr/bin/env python
# Nightly churn job: train on the synthetic sample, cluster, score, export.
#
#   usage: python train_and_score.py

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from features import build_features, add_noise_features
from model import SGDClassifier, kmeans
from scoring import score_batch, write_predictions

np.random.seed(42)   # reproducibility!!

N_CUSTOMERS = 1500
OUT_FILE = os.path.join(HERE, "predictions.csv")


def make_dataset(n):
    # stands in for the warehouse extract (which we are not allowed to ship)
    spend = np.random.lognormal(3.5, 0.8, size=n)
    age = np.random.randint(18, 80, size=n).astype(float)
    tenure = np.random.randint(1, 120, size=n).astype(float)
    orders = np.random.poisson(6, size=n).astype(float)
    tickets = np.random.poisson(1.2, size=n).astype(float)
    rows = np.column_stack([spend, age, tenure, orders, tickets])
    logit = -0.8 + 0.9 * tickets - 0.03 * tenure + 0.01 * (age - 45) - 0.2 * np.log1p(orders) + 0.004 * spend
    y = (np.random.rand(n) < 1.0 / (1.0 + np.exp(-logit))).astype(float)
    return rows, y


def main():
    rows, y = make_dataset(N_CUSTOMERS)
    ids = ["cust-%05d" % i for i in range(N_CUSTOMERS)]
    X = build_features(rows)
    X = add_noise_features(X)
    split = int(N_CUSTOMERS * 0.8)
    X_train, y_train = X[:split], y[:split]
    X_test, y_test = X[split:], y[split:]

    clf = SGDClassifier(lr=0.1)
    clf.fit(X_train, y_train, epochs=5)
    acc_train = (clf.predict(X_train) == y_train).mean()
    acc_test = (clf.predict(X_test) == y_test).mean()
    print("loss per epoch: %s" % " ".join("%.4f" % l for l in clf.loss_history))
    print("accuracy train %.4f test %.4f (base rate %.4f)" % (acc_train, acc_test, y.mean()))
    print("noise weights: %s" % " ".join("%.4f" % w for w in clf.weights[-2:]))

    centroids, labels = kmeans(X[:, :5], 4, iters=10)
    sizes = np.bincount(labels, minlength=4)
    print("segments: %s" % " ".join(str(s) for s in sizes))
    for j in range(len(centroids)):
        churn = y[labels == j].mean() if sizes[j] else 0.0
        print("  segment %d: spend %+.2f tenure %+.2f churn %.3f" % (j, centroids[j][0], centroids[j][2], churn))

    preds = score_batch(clf, X_test, ids[split:])
    n = write_predictions(preds, OUT_FILE)
    n_churn = sum(1 for p in preds if p["label"] == "churn")
    print("wrote %d predictions to predictions.csv (%d flagged churn)" % (n, n_churn))
    return 0


if __name__ == "__main__":
    sys.exit(main())
