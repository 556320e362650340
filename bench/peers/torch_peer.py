"""PyTorch peer (eager autograd; torch.autograd.Function for W5, torch.utils.checkpoint)."""
from common import arguments, bench
import numpy as np
import torch
import torch.utils.checkpoint


def mse(pred, target):
    return torch.mean((pred - target) ** 2)


def mlp(w1, b1, w2, b2, x, labels):
    return torch.nn.functional.cross_entropy(torch.relu(x @ w1 + b1) @ w2 + b2, labels)


def block(x, wq, wk, wv, wo, w1, w2):
    q, k, v = x @ wq, x @ wk, x @ wv
    scale = 1.0 / float(x.shape[2]) ** 0.5
    attended = x + (torch.softmax((q @ k.transpose(1, 2)) * scale, dim=-1) @ v) @ wo
    return attended + torch.relu(attended @ w1) @ w2


def scaled(ws):
    return [w * 0.05 for w in ws]


class MyRelu(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x > 0).to(g.dtype)


def grad_of(loss, wrt):
    def run(*args):
        args = [a.clone().requires_grad_(i in wrt) if a.is_floating_point() else a for i, a in enumerate(args)]
        value = loss(*args)
        return torch.autograd.grad(value, [args[i] for i in wrt], create_graph=False)
    return run


def higher(order):
    def run(x):
        x = x.clone().requires_grad_(True)
        y = x ** 3
        for _ in range(order):
            (y,) = torch.autograd.grad(y, x, create_graph=True)
        return (y,)
    return run


def stacked(x, *ws, checkpointed=False):
    p = scaled(ws)
    for _ in range(8):
        x = torch.utils.checkpoint.checkpoint(block, x, *p, use_reentrant=False) if checkpointed else block(x, *p)
    return torch.sum(x ** 2)


def loop_loss(x0, w, n):
    x = x0
    for _ in range(int(n)):
        x = x + 0.001 * torch.tanh(w @ x)
    return torch.sum(x ** 2)


def rnn(wx, wh, b, xs):
    ux, uh = wx * 0.1, wh * 0.1
    h = torch.tanh(xs[0] @ ux + b)
    for t in range(1, xs.shape[0]):
        h = torch.tanh(xs[t] @ ux + h @ uh + b)
    return torch.sum(h * h)


def tanh_norm(x):
    n = x.shape[0]
    a = torch.reshape(torch.sin(torch.arange(n * n, dtype=x.dtype) * 0.37 + 2.0), (n, n)) / n ** 0.5
    return torch.sum(torch.tanh(a @ x) ** 2)


def deep(ws, x, scale):
    h = x
    for w in torch.sin(ws * 1000.0) * scale:
        h = torch.tanh(h @ w)
    return h


def ln_gelu(w1, w2, x):
    normed = torch.nn.functional.layer_norm(x, x.shape[-1:], eps=1e-5)
    h = torch.nn.functional.gelu(normed @ (w1 * 0.05), approximate="tanh")
    return torch.sum((x + h @ (w2 * 0.05)) ** 2)


def conv(x, k):
    # NHWC and HWIO, as MIND's conv2d takes them.
    return torch.nn.functional.conv2d(x.permute(0, 3, 1, 2), k.permute(3, 2, 0, 1)).permute(0, 2, 3, 1)


def cnn(k1, k2, wd, x, labels):
    h1 = torch.relu(conv(x, k1 * 0.3))
    h2 = torch.relu(conv(h1, k2 * 0.08))
    return torch.nn.functional.cross_entropy(torch.reshape(h2, (-1, 18432)) @ (wd * 0.01), labels)


def descend(p0, t):
    p = p0
    for _ in range(10):
        q = p.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(mse(q, t), [q])
        p = p - 0.1 * g
    return (p,)


def sgd(w1, w2, x, labels):
    w1, w2 = w1 * 0.05, w2 * 0.1
    loss = lambda a, b: torch.nn.functional.cross_entropy(torch.relu(x @ a) @ b, labels)
    for _ in range(20):
        a, b = w1.requires_grad_(True), w2.requires_grad_(True)
        g1, g2 = torch.autograd.grad(loss(a, b), [a, b])
        w1, w2 = (w1 - 0.1 * g1).detach(), (w2 - 0.1 * g2).detach()
    with torch.no_grad():
        return (loss(w1, w2),)


FUNCTIONS = {
    "w1": grad_of(mse, [0]),
    "w2_1": higher(1), "w2_2": higher(2), "w2_3": higher(3),
    "w3": grad_of(mlp, [0, 1, 2, 3]),
    "w4_one": grad_of(lambda x, *ws: torch.sum(block(x, *scaled(ws)) ** 2), [0]),
    "w4_stack": grad_of(lambda x, *ws: stacked(x, *ws), [0]),
    "w4_stack_checkpointed": grad_of(lambda x, *ws: stacked(x, *ws, checkpointed=True), [0]),
    "w5_custom": grad_of(lambda x: torch.sum(MyRelu.apply(x)), [0]),
    "w5_builtin": grad_of(lambda x: torch.sum(torch.relu(x)), [0]),
    "w6_100": grad_of(lambda x0, w: loop_loss(x0, w, 100), [1]),
    "w6_1000": grad_of(lambda x0, w: loop_loss(x0, w, 1000), [1]),
    "w6_counted": grad_of(loop_loss, [1]),
    "w7": grad_of(rnn, [0, 1, 2]),
    "w8": lambda x: (torch.func.hessian(tanh_norm)(x),),
    "w9_normal": grad_of(lambda ws, x: torch.sum(deep(ws, x, 0.25) ** 2), [0]),
    "w9_subnormal": grad_of(lambda ws, x: torch.sum(deep(ws, x, 0.015)) * 1e30, [0]),
    "w10": grad_of(ln_gelu, [0, 1]),
    "w11": grad_of(cnn, [0, 1, 2]),
    "w12_descend": lambda p0, t: descend(p0, t), "w12_sgd": sgd,
    "w13_ln_gelu": grad_of(lambda x, c: torch.sum(torch.nn.functional.gelu(
        torch.nn.functional.layer_norm(x, x.shape[-1:], eps=1e-5), approximate="tanh") * c), [0]),
    "w13_softmax": grad_of(lambda x, c: torch.sum(torch.softmax(x, dim=-1) * c), [0]),
}

if __name__ == "__main__":
    workload, repeat, inputs = arguments()
    args = [torch.from_numpy(np.ascontiguousarray(a)) for a in inputs]
    function = FUNCTIONS[workload]
    bench(lambda: function(*args), repeat, lambda result: [r.detach().numpy() for r in result])
