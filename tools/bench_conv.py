#!/usr/bin/env python3
"""Speed of a free-phase sweep of convolutional Hopfield nets, side by side in one run.

On the small MNIST conv net (models/conv_mnist.toml: 1-32-64, 5x5, max pooling, odd/even
schedule), batch 128, MNIST-shaped random inputs, ms per sweep per sample of:

* the NumPy engine (im2col + BLAS, :mod:`lava_eqprop.engine.conv_ops`);
* the torch backend on the CPU (:mod:`lava_eqprop.torch_backend`: ``conv2d`` and
  ``conv_transpose2d``, the operations the authors' PyTorch code uses), if torch is installed,
  and on ``--device cuda`` too where there is a GPU; its state after the sweeps is compared
  with the engine's;
* a naive NumPy loop written here: the same sweep with every convolution, transposed
  convolution and max pooling computed one output pixel at a time. It starts from the same
  state, so its state after the sweeps checks the engine's arithmetic (max difference printed).

Also: the FLOPs of one sweep per sample (every conv and dense product the sweep computes,
2 per multiply-add), the GFLOP/s this CPU's BLAS reaches on a large float32 product, and the
floor they imply; and the seconds one epoch of Hopfield-ResNet13 (models/hopfield_resnet13.toml,
120 free + 2x50 nudged sweeps, 50,000 CIFAR-10 images) would take here, from sweeps timed on a
few batches of CIFAR-shaped random data. Every figure is measured in the same run; no figure
from elsewhere enters the output. Figures are printed as one JSON object on the last line.

    python tools/bench_conv.py            # 20 sweeps, batch 128; ResNet13 on 2 batches of 16
    python tools/bench_conv.py --quick    # 2 sweeps, batch 16 (the tests use this)
    python tools/bench_conv.py --device cuda   # adds the torch backend on the GPU
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from lava_eqprop.engine import Dynamics, get_loss
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS
from lava_eqprop.spec import load_spec
from lava_eqprop.training.relaxers import make_relaxer

CIFAR_TRAIN = 50_000


# ---- the naive loop --------------------------------------------------------------------------
def naive_conv(x, kernel, stride, padding):
    """W ⋆ x one output pixel at a time."""
    batch, _, height, width = x.shape
    out_ch, _, kh, kw = kernel.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    ho, wo = (height + 2 * padding - kh) // stride + 1, (width + 2 * padding - kw) // stride + 1
    y = np.zeros((batch, out_ch, ho, wo), dtype=x.dtype)
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, stride * i:stride * i + kh, stride * j:stride * j + kw]
            y[:, :, i, j] = np.tensordot(patch, kernel, axes=([1, 2, 3], [1, 2, 3]))
    return y


def naive_conv_transpose(g, kernel, stride, padding, image):
    """The adjoint of :func:`naive_conv`, scattering one output pixel at a time."""
    batch, _, ho, wo = g.shape
    _, in_ch, kh, kw = kernel.shape
    height, width = image
    xp = np.zeros((batch, in_ch, height + 2 * padding, width + 2 * padding), dtype=g.dtype)
    for i in range(ho):
        for j in range(wo):
            xp[:, :, stride * i:stride * i + kh, stride * j:stride * j + kw] += np.tensordot(
                g[:, :, i, j], kernel, axes=([1], [0]))
    return xp[:, :, padding:padding + height, padding:padding + width]


def naive_max_pool(y, size):
    """Max pooling and its switches, one window at a time."""
    batch, channels, height, width = y.shape
    pooled = np.zeros((batch, channels, height // size, width // size), dtype=y.dtype)
    switch = np.zeros_like(y, dtype=bool)
    for i in range(height // size):
        for j in range(width // size):
            window = y[:, :, size * i:size * i + size, size * j:size * j + size].reshape(
                batch, channels, -1)
            first = window.argmax(axis=-1)
            pooled[:, :, i, j] = np.take_along_axis(window, first[..., None], -1)[..., 0]
            rows, cols = size * i + first // size, size * j + first % size
            b, c = np.meshgrid(np.arange(batch), np.arange(channels), indexing="ij")
            switch[b, c, rows, cols] = True
    return pooled, switch


def naive_drive(net, proj, direction, values):
    """One projection's drive to one end, from the states ``values`` (images where 3-D)."""
    pre, post = net.population(proj.pre), net.population(proj.post)
    s_pre = values[proj.pre].reshape(-1, *pre.shape)
    if proj.kind == "dense":
        return (values[proj.pre] @ proj.weight.T if direction == "post"
                else values[proj.post] @ proj.weight)
    geo = proj.geometry
    if geo.pool not in (None, "max"):
        raise ValueError(f"{proj.name}: the naive loop implements max pooling only")
    y = naive_conv(s_pre, proj.weight, geo.stride, geo.padding)
    if direction == "post":
        if geo.pool:
            y, _ = naive_max_pool(y, geo.pool_size)
        return y.reshape(len(y), -1)
    g = values[proj.post].reshape(-1, *post.shape)
    if geo.pool:
        _, switch = naive_max_pool(y, geo.pool_size)
        g = np.repeat(np.repeat(g, geo.pool_size, 2), geo.pool_size, 3) * switch
    x = naive_conv_transpose(g, proj.weight, geo.stride, geo.padding, pre.shape[1:])
    return x.reshape(len(x), -1)


def naive_sweeps(net, groups, values, sweeps):
    """``sweeps`` exact block updates (ε = 1, β = 0) in the relaxer's group order."""
    values = dict(values)
    for _ in range(sweeps):
        for group in groups:
            new = {}
            for pop in group:
                drive = np.tile(pop.flat_bias(), (len(values[pop.name]), 1))
                for proj in net.projections:
                    if proj.post == pop.name:
                        drive = drive + naive_drive(net, proj, "post", values)
                    if proj.pre == pop.name and proj.symmetric:
                        drive = drive + naive_drive(net, proj, "pre", values)
                new[pop.name] = np.clip(drive, pop.act.lo, pop.act.hi).astype(drive.dtype)
            values.update(new)
    return values


# ---- measurements ----------------------------------------------------------------------------
def sweep_flops(net) -> int:
    """FLOPs of one sweep per sample: each projection's drive to its free ends (2 per MAC)."""
    total = 0
    for proj in net.projections:
        pre, post = net.population(proj.pre), net.population(proj.post)
        if proj.kind == "dense":
            macs = proj.weight.size
        else:
            geo = proj.geometry
            out_ch, _, kh, kw = proj.weight.shape
            conv_positions = ((pre.shape[1] + 2 * geo.padding - kh) // geo.stride + 1) * \
                             ((pre.shape[2] + 2 * geo.padding - kw) // geo.stride + 1)
            macs = conv_positions * proj.weight.size
        total += 2 * macs * ((not post.clamped) + (proj.symmetric and not pre.clamped))
    return total


def blas_gflops(dtype=np.float32, n=1024, repeats=5) -> float:
    a = np.random.default_rng(0).random((n, n), dtype=dtype)
    a @ a
    start = time.perf_counter()
    for _ in range(repeats):
        a @ a
    return 2 * n ** 3 * repeats / (time.perf_counter() - start) / 1e9


def conv_relaxer(net, schedule, device=None):
    """The float32 relaxer of the sweeps timed here: the engine's, or with ``device`` the
    torch backend's."""
    return make_relaxer(net, Dynamics(1.0, schedule), get_loss("half_squared_error"),
                        np.float32, device)


def ms_per_sweep(relaxer, x, sweeps) -> tuple[float, dict[str, np.ndarray]]:
    """ms per sweep per sample (after one warm-up sweep, from zeros) and the final free state."""
    clamped = relaxer.clamp({"input": x})
    state = relaxer.zero_state(clamped)
    relaxer.run(state, clamped, 1)                       # warm-up (plans, buffers)
    _synchronise(relaxer)
    start = time.perf_counter()
    relaxer.run(state, clamped, sweeps)
    _synchronise(relaxer)
    ms = (time.perf_counter() - start) * 1e3 / (sweeps * len(x))
    return ms, {name: relaxer.arrays.to_numpy(state[name]) for name in relaxer.free_names}


def _synchronise(relaxer) -> None:
    """Wait for a GPU's queued work (timings of asynchronous CUDA kernels)."""
    device = getattr(relaxer, "device", None)
    if device is not None and device.type == "cuda":
        relaxer.torch.cuda.synchronize()


def torch_devices(asked: list[str]) -> list[str]:
    """The torch devices to time: the CPU if torch is installed, plus those asked for."""
    try:
        import torch  # noqa: F401
    except ImportError:
        log("torch is not installed: no torch column (pip install 'lava-eqprop[torch]')")
        return []
    return ["cpu"] + [d for d in asked if d != "cpu"]


def float32_network(spec_path):
    """The spec and its initial network with float32 parameters."""
    spec = load_spec(spec_path)
    net = spec.build_network()
    for proj in net.projections:
        proj.weight = proj.weight.astype(np.float32)
    for pop in net.populations:
        pop.bias = pop.bias.astype(np.float32)
    return spec, net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 sweeps, batch 16")
    parser.add_argument("--device", action="append", default=[], choices=("cpu", "cuda"),
                        help="also time the torch backend on this device (CPU: always, "
                             "when torch is installed)")
    args = parser.parse_args()
    sweeps, batch = (2, 16) if args.quick else (20, 128)
    rng = np.random.default_rng(0)
    spec, net = float32_network(MODELS / "conv_mnist.toml")
    schedule = spec.dynamics.schedule
    x = rng.random((batch, 784), dtype=np.float32)
    log(f"MNIST conv net, batch {batch}, {sweeps} sweeps")
    relaxer = conv_relaxer(net, schedule)
    engine_ms, engine_final = ms_per_sweep(relaxer, x, sweeps)
    torch_ms, torch_difference = {}, {}
    for device in torch_devices(args.device):
        torch_ms[device], final = ms_per_sweep(conv_relaxer(net, schedule, device), x, sweeps)
        torch_difference[device] = max(float(np.abs(final[k] - engine_final[k]).max())
                                       for k in final)
        log(f"torch on {device}: {torch_ms[device]:.3f} ms per sweep per sample "
            f"(state differs from the engine's by {torch_difference[device]:.1e})")
    clamped = relaxer.clamp({"input": x})
    start_state = relaxer.zero_state(clamped)
    relaxer.run(start_state, clamped, 2)
    engine_state = start_state.copy()
    start = time.perf_counter()
    naive_out = naive_sweeps(net, relaxer.groups, start_state.values, 1)
    naive_ms = (time.perf_counter() - start) * 1e3 / batch
    relaxer.run(engine_state, clamped, 1)
    difference = max(float(np.abs(engine_state[p.name] - naive_out[p.name]).max())
                     for p in net.free)
    flops = sweep_flops(net)
    gflops = blas_gflops()
    floor_ms = flops / (gflops * 1e9) * 1e3
    log(f"engine {engine_ms:.3f} ms, naive {naive_ms:.3f} ms per sweep per sample; "
        f"floor {floor_ms:.3f} ms ({flops / 1e6:.1f} MFLOP at {gflops:.1f} GFLOP/s)")

    resnet_batch, resnet_sweeps = (2, 1) if args.quick else (16, 2)
    spec, resnet = float32_network(MODELS / "hopfield_resnet13.toml")
    resnet_ms = []
    for _ in range(1 if args.quick else 2):
        xr = rng.random((resnet_batch, 3 * 32 * 32), dtype=np.float32)
        resnet_ms.append(ms_per_sweep(conv_relaxer(resnet, spec.dynamics.schedule), xr,
                                      resnet_sweeps)[0])
    sweeps_per_sample = spec.dynamics.free_steps + 2 * spec.dynamics.nudged_steps
    resnet_epoch_s = min(resnet_ms) * 1e-3 * sweeps_per_sample * CIFAR_TRAIN
    resnet_flops = sweep_flops(resnet)
    log(f"Hopfield-ResNet13: {min(resnet_ms):.1f} ms per sweep per sample, "
        f"{resnet_epoch_s / 3600:.0f} h per epoch here")
    emit({"machine": machine(), "batch": batch, "sweeps": sweeps,
          "engine_ms_per_sweep_sample": engine_ms, "naive_ms_per_sweep_sample": naive_ms,
          "naive_over_engine": naive_ms / engine_ms,
          "torch_ms_per_sweep_sample": torch_ms,
          "torch_over_engine": {d: ms / engine_ms for d, ms in torch_ms.items()},
          "torch_vs_engine_max_abs_difference": torch_difference,
          "engine_vs_naive_max_abs_difference": difference,
          "sweep_mflop_per_sample": flops / 1e6, "blas_gflops": gflops,
          "flop_floor_ms_per_sweep_sample": floor_ms, "engine_over_floor": engine_ms / floor_ms,
          "resnet13_ms_per_sweep_sample": min(resnet_ms),
          "resnet13_sweep_gflop_per_sample": resnet_flops / 1e9,
          "resnet13_sweeps_per_sample": sweeps_per_sample,
          "resnet13_seconds_per_epoch": resnet_epoch_s,
          "resnet13_flop_floor_seconds_per_epoch":
              resnet_flops * sweeps_per_sample * CIFAR_TRAIN / (gflops * 1e9)})


if __name__ == "__main__":
    main()
