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

def step(x, w):
    return x + 0.001 * jnp.tanh(w @ x)


def loop_loss(x0, w, n):
    # A trip count known when tracing: JAX cannot reverse-differentiate a traced bound or a
    # while_loop, so the runtime-count and `while` workloads are jitted once per n.
    return jnp.sum(jax.lax.fori_loop(0, n, lambda i, x: step(x, w), x0) ** 2)


def rnn(wx, wh, b, xs):
    ux, uh = wx * 0.1, wh * 0.1
    h = jnp.tanh(xs[0] @ ux + b)
    h, _ = jax.lax.scan(lambda h, x: (jnp.tanh(x @ ux + h @ uh + b), None), h, xs[1:])
    return jnp.sum(h * h)


def tanh_norm(x):
    n = x.shape[0]
    a = jnp.reshape(jnp.sin(jnp.arange(n * n, dtype=x.dtype) * 0.37 + 2.0), (n, n)) / np.sqrt(n)
    return jnp.sum(jnp.tanh(a @ x) ** 2)


def deep(ws, x, scale):
    w = jnp.sin(ws * 1000.0) * scale
    h, _ = jax.lax.scan(lambda h, wl: (jnp.tanh(h @ wl), None), x, w)
    return h


def ln_gelu(w1, w2, x):
    mean = jnp.mean(x, axis=-1, keepdims=True)
    normed = (x - mean) / jnp.sqrt(jnp.mean((x - mean) ** 2, axis=-1, keepdims=True) + 1e-5)
    h = jax.nn.gelu(normed @ (w1 * 0.05))
    return jnp.sum((x + h @ (w2 * 0.05)) ** 2)


def cross_entropy(logits, labels):
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1))


def conv(x, k):
    return jax.lax.conv_general_dilated(x, k, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))


def cnn(k1, k2, wd, x, labels):
    h1 = jax.nn.relu(conv(x, k1 * 0.3))
    h2 = jax.nn.relu(conv(h1, k2 * 0.08))
    return cross_entropy(jnp.reshape(h2, (-1, 18432)) @ (wd * 0.01), labels)


def descend(p0, t):
    return jax.lax.fori_loop(0, 10, lambda i, p: p - 0.1 * jax.grad(mse)(p, t), p0)


def mlp_loss(w1, w2, x, labels):
    return cross_entropy(jax.nn.relu(x @ w1) @ w2, labels)


def sgd(w1, w2, x, labels):
    def update(i, p):
        g1, g2 = jax.grad(mlp_loss, argnums=(0, 1))(*p, x, labels)
        return p[0] - 0.1 * g1, p[1] - 0.1 * g2
    w1, w2 = jax.lax.fori_loop(0, 20, update, (w1 * 0.05, w2 * 0.1))
    return mlp_loss(w1, w2, x, labels)


def layer_norm(x):
    mean = jnp.mean(x, axis=-1, keepdims=True)
    return (x - mean) / jnp.sqrt(jnp.mean((x - mean) ** 2, axis=-1, keepdims=True) + 1e-5)


FUNCTIONS = {
    "w1": jax.grad(mse),
    "w2_1": jax.grad(cube), "w2_2": jax.grad(jax.grad(cube)), "w2_3": jax.grad(jax.grad(jax.grad(cube))),
    "w3": jax.grad(mlp, argnums=(0, 1, 2, 3)),
    "w4_one": jax.grad(one), "w4_stack": jax.grad(stack), "w4_stack_checkpointed": jax.grad(stack_checkpointed),
    "w5_custom": jax.grad(lambda x: jnp.sum(my_relu(x))), "w5_builtin": jax.grad(lambda x: jnp.sum(jax.nn.relu(x))),
    "w6_100": jax.grad(lambda x0, w: loop_loss(x0, w, 100), argnums=1),
    "w6_1000": jax.grad(lambda x0, w: loop_loss(x0, w, 1000), argnums=1),
    "w6_counted": jax.grad(loop_loss, argnums=1),
    "w7": jax.grad(rnn, argnums=(0, 1, 2)),
    "w8": jax.hessian(tanh_norm),
    "w9_normal": jax.grad(lambda ws, x: jnp.sum(deep(ws, x, 0.25) ** 2)),
    "w9_subnormal": jax.grad(lambda ws, x: jnp.sum(deep(ws, x, 0.015)) * 1e30),
    "w10": jax.grad(ln_gelu, argnums=(0, 1)),
    "w11": jax.grad(cnn, argnums=(0, 1, 2)),
    "w12_descend": descend, "w12_sgd": sgd,
    "w13_ln_gelu": jax.grad(lambda x, c: jnp.sum(jax.nn.gelu(layer_norm(x)) * c)),
    "w13_softmax": jax.grad(lambda x, c: jnp.sum(jax.nn.softmax(x, axis=-1) * c)),
}
# Arguments that are trip counts: static, as a JAX user must make them to differentiate the loop.
STATIC = {"w6_counted": (2,)}

if __name__ == "__main__":
    workload, repeat, inputs = arguments()
    if os.environ.get("MIND_BENCH_F64"):
        # The reference: the same function in f64 on the same (f32-valued) inputs.
        jax.config.update("jax_enable_x64", True)
        inputs = [a.astype(np.float64) if a.dtype == np.float32 else a for a in inputs]
    static = STATIC.get(workload, ())
    function = jax.jit(FUNCTIONS[workload], static_argnums=static)
    args = [int(a) if i in static else jnp.asarray(a) for i, a in enumerate(inputs)]

    def to_numpy(result):
        leaves = jax.tree_util.tree_leaves(result)
        return [np.asarray(jax.block_until_ready(leaf)) for leaf in leaves]

    bench(lambda: function(*args), repeat, to_numpy)
