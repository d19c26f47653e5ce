"""Three skewed blobs of five points (the median of a blob is not its mean), one fit."""

import numpy as np
from clustering import fit_predict

rng = np.random.default_rng(7)
points = np.repeat([[0.0, 0.0], [3.5, 0.0], [1.75, 3.2]], 5, axis=0)
fit_predict(points + rng.exponential(1.0, size=points.shape))
