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


FUNCTIONS = {
    "w1": grad_of(mse, [0]),
    "w2_1": higher(1), "w2_2": higher(2), "w2_3": higher(3),
    "w3": grad_of(mlp, [0, 1, 2, 3]),
    "w4_one": grad_of(lambda x, *ws: torch.sum(block(x, *scaled(ws)) ** 2), [0]),
    "w4_stack": grad_of(lambda x, *ws: stacked(x, *ws), [0]),
    "w4_stack_checkpointed": grad_of(lambda x, *ws: stacked(x, *ws, checkpointed=True), [0]),
    "w5_custom": grad_of(lambda x: torch.sum(MyRelu.apply(x)), [0]),
    "w5_builtin": grad_of(lambda x: torch.sum(torch.relu(x)), [0]),
}

if __name__ == "__main__":
    workload, repeat, inputs = arguments()
    args = [torch.from_numpy(np.ascontiguousarray(a)) for a in inputs]
    function = FUNCTIONS[workload]
    bench(lambda: function(*args), repeat, lambda result: [r.detach().numpy() for r in result])
