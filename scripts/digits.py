"""Writes scikit-learn's bundled 8x8 handwritten digits (1,797 images, shipped inside the
scikit-learn package: nothing is downloaded) as .npy files for the data examples:
Examples/data/digits/{train,test}_{x,y}.npy, pixels scaled to [0, 1] as f32, labels as i64,
a fixed shuffle split into 1,500 training and 297 test images.

Run with the Python of scripts/data-venv.sh: `$(bash scripts/data-venv.sh) scripts/digits.py`."""
import os

import numpy as np
from sklearn.datasets import load_digits

folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Examples", "data", "digits")
os.makedirs(folder, exist_ok=True)
digits = load_digits()
x = (digits.data / 16.0).astype(np.float32)
y = digits.target.astype(np.int64)
order = np.random.default_rng(0).permutation(len(y))
train, test = order[:1500], order[1500:]
for name, array in [("train_x", x[train]), ("train_y", y[train]), ("test_x", x[test]), ("test_y", y[test])]:
    np.save(os.path.join(folder, name + ".npy"), array)
print(f"wrote {len(train)} training and {len(test)} test digits to {os.path.normpath(folder)}")
