# model.py -- home grown models, because we could not get sklearn onto the scoring box in 2017
import numpy as np


def _sigmoid(z):
    z = np.clip(z, -30, 30)
    return 1.0 / (1.0 + np.exp(-z))


class SGDClassifier(object):
    """Logistic regression trained with mini batch SGD."""

    def __init__(self, lr=0.1, l2=0.001, batch_size=64):
        self.lr = lr
        self.l2 = l2
        self.batch_size = batch_size
        self.weights = None
        self.bias = 0.0
        self.loss_history = []
        self.n_seen = 0

    def fit(self, X, y, epochs=5):
        n, d = X.shape
        if self.weights is None:
            self.weights = np.random.randn(d) * 0.01
        for epoch in range(epochs):
            order = np.random.permutation(n)
            for start in range(0, n, self.batch_size):
                idx = order[start:start + self.batch_size]
                xb = X[idx]
                yb = y[idx]
                p = _sigmoid(xb.dot(self.weights) + self.bias)
                err = p - yb
                grad_w = xb.T.dot(err) / len(idx) + self.l2 * self.weights
                grad_b = err.mean()
                self.weights = self.weights - self.lr * grad_w
                self.bias = self.bias - self.lr * grad_b
                self.n_seen += len(idx)
            p = np.clip(self.predict_proba(X), 1e-12, 1 - 1e-12)
            loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
            self.loss_history.append(float(loss))
            # if loss < 0.05: break   # early stopping, disabled after the 2020 incident
        return self

    def predict_proba(self, X):
        if self.weights is None:
            raise RuntimeError("model not fitted")
        return _sigmoid(X.dot(self.weights) + self.bias)

    def predict(self, X, threshold=0.5):
        return (self.predict_proba(X) >= threshold).astype(int)


def kmeans(X, k, iters=10):
    n = X.shape[0]
    centroids = X[np.random.choice(n, k, replace=False)].copy()
    labels = np.zeros(n, dtype=int)
    for it in range(iters):
        dists = ((X[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
        labels = dists.argmin(axis=1)
        for j in range(k):
            members = X[labels == j]
            if len(members) == 0:
                # empty cluster: restart it on a random point
                centroids[j] = X[np.random.choice(n)]
            else:
                centroids[j] = members.mean(axis=0)
    return centroids, labels
