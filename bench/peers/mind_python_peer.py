"""mind through its Python API (python/mind, ctypes over libmindc): the same workloads, inputs
and JSON as the other peers, for comparing the Python API with the Swift API (`mind bench`)
and with JAX and PyTorch called from Python. Run with a Python where the package is installed
(bench/python_api.py installs it around the release build of libmindc)."""
import os

from common import arguments, bench
import mind

HERE = os.path.dirname(os.path.abspath(__file__))

WORKLOADS = {
    "w1": ("w1_mse.mind", "grad(loss)"),
    "w3": ("w3_mlp.mind", "grad(loss, wrt=(0, 1, 2, 3))"),
}

if __name__ == "__main__":
    workload, repeat, inputs = arguments()
    file, expression = WORKLOADS[workload]
    loaded = []

    def call():
        # The first call loads the program too (parse, check), as a fresh process would.
        if not loaded:
            loaded.append(mind.load(os.path.join(HERE, "..", "workloads", file)).function(expression))
        return loaded[0](*inputs)

    bench(call, repeat, lambda result: result if isinstance(result, tuple) else (result,))
