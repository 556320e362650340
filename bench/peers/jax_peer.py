"""JAX peer: jax.jit(jax.grad(...)) of each workload (jax.custom_vjp for W5). With
MIND_BENCH_F64=1 it computes in f64: the reference every system's f32 result is measured against."""
import os

from common import arguments, bench
import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_platforms", "cpu")


def mse(pred, target):
    return jnp.mean((pred - target) ** 2)


def cube(x):
    return x ** 3


def mlp(w1, b1, w2, b2, x, labels):
    logits = jax.nn.relu(x @ w1 + b1) @ w2 + b2
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1))


def block(p, x):
    wq, wk, wv, wo, w1, w2 = p
    q, k, v = x @ wq, x @ wk, x @ wv
    scale = 1.0 / jnp.sqrt(jnp.float32(x.shape[2]))
    attended = x + (jax.nn.softmax((q @ jnp.transpose(k, (0, 2, 1))) * scale, axis=-1) @ v) @ wo
    return attended + jax.nn.relu(attended @ w1) @ w2


def scaled(ws):
    return tuple(w * 0.05 for w in ws)


def one(x, *ws):
    return jnp.sum(block(scaled(ws), x) ** 2)


def stack(x, *ws):
    p = scaled(ws)
    for _ in range(8):
        x = block(p, x)
    return jnp.sum(x ** 2)


def stack_checkpointed(x, *ws):
    p = scaled(ws)
    step = jax.checkpoint(block)
    for _ in range(8):
        x = step(p, x)
    return jnp.sum(x ** 2)


@jax.custom_vjp
def my_relu(x):
    return jnp.maximum(x, 0.0)


my_relu.defvjp(lambda x: (jnp.maximum(x, 0.0), x), lambda x, g: (g * (x > 0).astype(g.dtype),))

FUNCTIONS = {
    "w1": jax.grad(mse),
    "w2_1": jax.grad(cube), "w2_2": jax.grad(jax.grad(cube)), "w2_3": jax.grad(jax.grad(jax.grad(cube))),
    "w3": jax.grad(mlp, argnums=(0, 1, 2, 3)),
    "w4_one": jax.grad(one), "w4_stack": jax.grad(stack), "w4_stack_checkpointed": jax.grad(stack_checkpointed),
    "w5_custom": jax.grad(lambda x: jnp.sum(my_relu(x))), "w5_builtin": jax.grad(lambda x: jnp.sum(jax.nn.relu(x))),
}

if __name__ == "__main__":
    workload, repeat, inputs = arguments()
    if os.environ.get("MIND_BENCH_F64"):
        # The reference: the same function in f64 on the same (f32-valued) inputs.
        jax.config.update("jax_enable_x64", True)
        inputs = [a.astype(np.float64) if a.dtype == np.float32 else a for a in inputs]
    function = jax.jit(FUNCTIONS[workload])
    args = [jnp.asarray(a) for a in inputs]

    def to_numpy(result):
        leaves = jax.tree_util.tree_leaves(result)
        return [np.asarray(jax.block_until_ready(leaf)) for leaf in leaves]

    bench(lambda: function(*args), repeat, to_numpy)
