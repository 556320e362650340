"""The Python API against the command line and the Swift library's rules: every transform,
structs as dicts and dataclasses, Python numbers, errors, zero-copy inputs, threads and the
object cache across processes. Run by `make test` (scripts/python-tests.sh)."""
import dataclasses
import os
import subprocess
import sys
import tempfile
import threading

import numpy as np
import pytest

import mind

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIND = os.environ.get("MIND_EXECUTABLE", os.path.join(ROOT, ".build", "debug", "mind"))

SOURCE = """
struct Layer { w: Tensor<f32, I, O>, b: Tensor<f32, O> }
fn f(x: Tensor<f32, 3>) -> f32 { sum(sin(x) * x ** 2) }
fn g(x: Tensor<f32, 3>) -> Tensor<f32, 2> { [sum(x * x), prod(x)] }
fn loss(p: Layer, x: Tensor<f32, B, I>) -> f32 { mean(tanh(x @ p.w + p.b) ** 2) }
fn scale(x: Tensor<f32, N>, s: f32) -> Tensor<f32, N> { s * x }
fn count(n: i64) -> i64 { n * 2 }
"""

X = [0.5, -1.25, 2.0]
# Each transform as the Python API calls it, and as a MIND expression printing the same.
TRANSFORMS = [
    ("f", (X,), "f([0.5, -1.25, 2.0])"),
    ("grad(f)", (X,), "grad(f)([0.5, -1.25, 2.0])"),
    ("value_and_grad(f)", (X,), "value_and_grad(f)([0.5, -1.25, 2.0])"),
    ("hessian(f)", (X,), "hessian(f)([0.5, -1.25, 2.0])"),
    ("jacrev(g)", (X,), "jacrev(g)([0.5, -1.25, 2.0])"),
    ("jacfwd(g)", (X,), "jacfwd(g)([0.5, -1.25, 2.0])"),
    ("jvp(f)", (X, [1.0, 0.0, 0.5]), "jvp(f)([0.5, -1.25, 2.0], [1.0, 0.0, 0.5])"),
    ("vmap(f)", ([X, [1.0, 2.0, 3.0]],), "vmap(f)([[0.5, -1.25, 2.0], [1.0, 2.0, 3.0]])"),
    ("grad(grad(|y: f32| y ** 4))", (1.5,), "grad(grad(|y: f32| y ** 4))(1.5)"),
]


@pytest.fixture(scope="module")
def program():
    return mind.compile(SOURCE, name="api.mind", cache_dir="")


def numbers(value):
    if isinstance(value, (tuple, list)):
        return [n for part in value for n in numbers(part)]
    return [float(n) for n in np.asarray(value).ravel()]


def cli_numbers(expression):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "cli.mind")
        with open(path, "w") as f:
            f.write(SOURCE + f"fn main() {{ print({expression}); }}\n")
        out = subprocess.run([MIND, "jit", "--no-cache", path], capture_output=True, text=True, check=True).stdout
    cleaned = out.replace("[", " ").replace("]", " ").replace("(", " ").replace(")", " ").replace(",", " ")
    return [float(n) for n in cleaned.split()]


@pytest.mark.parametrize("expression,arguments,printed", TRANSFORMS)
def test_every_transform_agrees_with_the_command_line(program, expression, arguments, printed):
    result = program.function(expression)(*arguments)
    assert numbers(result) == pytest.approx(cli_numbers(printed), rel=1e-6, abs=1e-7)


def test_structs_are_dicts_or_dataclasses(program):
    rng = np.random.default_rng(0)
    w, b, x = (rng.standard_normal(s).astype(np.float32) for s in [(3, 2), (2,), (4, 3)])
    value_and_grad = program.function("value_and_grad(loss)")
    value, gradient = value_and_grad({"w": w, "b": b}, x)
    assert set(gradient) == {"w", "b"} and gradient["w"].shape == (3, 2) and gradient["b"].dtype == np.float32
    expected = np.mean(np.tanh(x @ w + b) ** 2)
    assert float(value) == pytest.approx(float(expected), rel=1e-5)
    # d/dw mean(tanh(u)^2) = x^T (2 tanh(u) (1 - tanh(u)^2)) / size
    t = np.tanh(x @ w + b)
    assert gradient["w"] == pytest.approx(x.T @ (2 * t * (1 - t ** 2)) / t.size, rel=1e-4, abs=1e-6)

    @dataclasses.dataclass
    class Layer:
        w: np.ndarray
        b: np.ndarray

    again, _ = value_and_grad(Layer(w, b), x)
    assert float(again) == float(value)


def test_python_numbers_take_the_parameter_dtype(program):
    assert program.function("scale")(np.ones(2, np.float32), 3).tolist() == [3.0, 3.0]
    counted = program.function("count")(21)
    assert counted.dtype == np.int64 and int(counted) == 42


def test_wrong_dtypes_and_shapes_are_coded_errors_naming_the_parameter(program):
    with pytest.raises(mind.MindError) as wrong_dtype:
        program.function("f")(np.ones(3, np.float64))
    assert wrong_dtype.value.code == "E2001" and "argument `x`" in str(wrong_dtype.value)
    with pytest.raises(mind.MindError) as wrong_shape:
        program.function("f")(np.ones(4, np.float32))
    assert wrong_shape.value.code == "E2001" and "Tensor<f32, 4>" in str(wrong_shape.value)
    with pytest.raises(mind.MindError) as field:
        program.function("loss")({"w": np.ones((3, 2), np.float32), "b": np.ones(3, np.float32)}, np.ones((4, 3), np.float32))
    assert field.value.code in ("E2001", "E3003") and "field `b`" in str(field.value)
    with pytest.raises(mind.MindError) as missing:
        program.function("loss")({"w": np.ones((3, 2), np.float32)}, np.ones((4, 3), np.float32))
    assert missing.value.code == "E2016" and "`b`" in str(missing.value)
    with pytest.raises(mind.MindError) as unsupported:
        program.function("f")(np.ones(3, np.float16))
    assert unsupported.value.code == "E7103"
    with pytest.raises(mind.MindError) as arity:
        program.function("f")()
    assert arity.value.code == "E2007"


def test_a_bad_program_raises_its_located_diagnostic():
    with pytest.raises(mind.MindError) as error:
        mind.compile("fn f(x: Tensor<f32, N>) -> f32 { sum(x) + undefined }\n", name="bad.mind", cache_dir="")
    assert error.value.code == "E2002"
    assert "bad.mind:1:" in str(error.value) and "undefined" in str(error.value)


def test_contiguous_inputs_are_read_in_place_and_others_copied_once(program):
    f = program.function("scale")
    x = np.arange(8, dtype=np.float32)
    assert f(x, 2.0).tolist() == (2 * x).tolist()
    assert f.last_argument_address(0) == x.ctypes.data
    strided = x[::2]
    assert f(strided, 2.0).tolist() == (2 * strided).tolist()
    assert f.last_argument_address(0) != strided.ctypes.data
    # The same type strided, after contiguous calls of it, is copied; contiguous again, read in place.
    y = np.arange(16, dtype=np.float32)
    assert f(y[::2], 3.0).tolist() == (3 * y[::2]).tolist()
    assert f.last_argument_address(0) != y.ctypes.data
    assert f(x, 3.0).tolist() == (3 * x).tolist()
    assert f.last_argument_address(0) == x.ctypes.data
    # Another shape, then the first again: each call's own specialization.
    assert f(y, 0.5).tolist() == (0.5 * y).tolist()
    assert f(x, 0.5).tolist() == (0.5 * x).tolist()


def test_results_outlive_their_call_and_are_writable(program):
    results = [program.function("scale")(np.full(3, float(i), np.float32), 1.0) for i in range(50)]
    assert all(r.tolist() == [float(i)] * 3 for i, r in enumerate(results))
    results[3][0] = 7.0
    assert results[3].tolist() == [7.0, 3.0, 3.0] and results[4].tolist() == [4.0] * 3
    # The leaves of one result share its memory: each stays valid while any other lives.
    grads = program.function("grad(loss)")
    x = np.ones((2, 3), np.float32)
    layers = [{"w": np.full((3, 2), 0.1 * i, np.float32), "b": np.zeros(2, np.float32)} for i in range(1, 20)]
    kept = [grads(layer, x)["b"] for layer in layers]
    again = [grads(layer, x)["b"] for layer in layers]
    assert [k.tolist() for k in kept] == [a.tolist() for a in again]
    assert all(k.ctypes.data % 64 == 0 for k in kept)


def test_two_python_threads_call_at_once(program):
    f = program.function("grad(f)")
    expected = f(X)
    failures = []

    def work():
        for _ in range(200):
            if not np.array_equal(f(X), expected):
                failures.append(1)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures


def test_the_object_cache_serves_a_second_process(tmp_path):
    script = (
        "import sys, mind\n"
        "p = mind.compile(sys.argv[1], name='cached.mind', cache_dir=sys.argv[2], tiered=False)\n"
        "print(float(p.function('grad(f)')([1.0, 2.0, 3.0])[0]), p.cache_hits, p.compilations)\n"
    )
    runs = [subprocess.run([sys.executable, "-c", script, SOURCE, str(tmp_path)], capture_output=True, text=True,
                           check=True, env=dict(os.environ)).stdout.split() for _ in range(2)]
    assert runs[0][0] == runs[1][0]
    assert runs[0][1:] == ["0", "1"] and runs[1][1:] == ["1", "0"]


def test_the_readme_example_runs_and_prints_what_it_says(capsys):
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    block = text.split("## From Python", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(block, "README.md", "exec"), {})
    assert capsys.readouterr().out == "True\n"


def test_data_parallel_training_on_two_ranks_equals_one_process(tmp_path):
    """examples/python/data_parallel.py under `mpirun -n 2` ends with the weights of one process
    training on the whole batch, to f32 rounding."""
    import shutil

    pytest.importorskip("mpi4py", reason="mpi4py is not installed (scripts/python-tests.sh installs it)")
    if shutil.which("mpirun") is None:
        pytest.skip("Open MPI's mpirun is not installed (scripts/python-tests.sh installs it)")
    script = os.path.join(ROOT, "examples", "python", "data_parallel.py")
    env = dict(os.environ, MIND_CACHE_DIR=str(tmp_path / "cache"), OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1")
    single = subprocess.run([sys.executable, script, "--out", str(tmp_path / "one.npz")], env=env,
                            capture_output=True, text=True)
    assert single.returncode == 0, single.stderr
    two = subprocess.run(["mpirun", "-n", "2", sys.executable, script, "--out", str(tmp_path / "two.npz")], env=env,
                         capture_output=True, text=True, timeout=300)
    assert two.returncode == 0, two.stderr
    assert "2 ranks: final loss" in two.stdout and "1 rank: final loss" in single.stdout
    one, both = np.load(tmp_path / "one.npz"), np.load(tmp_path / "two.npz")
    for name in ["w1", "b1", "w2", "b2"]:
        assert both[name] == pytest.approx(one[name], rel=1e-5, abs=1e-6), name
    # Training learned: the loss fell from about log(4).
    assert float(single.stdout.split("final loss")[1]) < 0.05
