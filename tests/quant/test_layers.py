"""QAT layers: rounding, learned scales, ordinary training, save/load, DistributedDataParallel."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from streamfold.ir import BIPOLAR, IntType
from streamfold.models import mlp
from streamfold.quant import QuantInput, QuantLinear, Requantizer, fake_quant


def test_rounding_is_half_to_even() -> None:
    x = torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5])
    out = fake_quant(x, torch.tensor(1.0), IntType(8, True))
    np.testing.assert_array_equal(out.numpy(), [-2, -2, 0, 0, 2, 2, 4])


def test_bipolar_maps_zero_to_plus_one() -> None:
    out = fake_quant(torch.tensor([-0.1, 0.0, 0.2]), torch.tensor(0.5), BIPOLAR)
    np.testing.assert_array_equal(out.numpy(), [-0.5, 0.5, 0.5])


def test_clamps_to_the_type() -> None:
    out = fake_quant(torch.tensor([-9.0, 9.0]), torch.tensor(1.0), IntType(2, True, narrow=True))
    np.testing.assert_array_equal(out.numpy(), [-1, 1])


@pytest.mark.parametrize(
    ("bits", "narrow", "values"),
    [(1, False, {-1, 1}), (2, True, {-1, 0, 1}), (3, False, set(range(-4, 4)))],
    ids=["bipolar", "ternary", "int3"],
)
def test_weight_codes_lie_in_their_set(bits: int, narrow: bool, values: set[int]) -> None:
    layer = QuantLinear(64, 32, weight_bits=bits, narrow=narrow)
    codes = layer.weight_quant.codes(layer.weight)
    assert set(codes.unique().tolist()) <= values
    # LSQ's initial scale is not degenerate: it uses at least three codes (both, for bipolar)
    assert len(set(codes.unique().tolist())) >= min(len(values), 3)


def test_requantizer_initialises_from_first_batches() -> None:
    torch.manual_seed(0)
    req = Requantizer(2, init_batches=2).train()
    batches = [torch.randn(64, 8), 3 * torch.randn(64, 8)]
    for b in batches:
        req(b)
    stats = [2 * torch.relu(b).mean().item() / math.sqrt(3) for b in batches]
    assert req.scale.value().item() == pytest.approx(sum(stats) / 2, rel=1e-6)
    req(100 * torch.randn(64, 8))  # later batches no longer move the initial scale
    assert req.scale.value().item() == pytest.approx(sum(stats) / 2, rel=1e-6)


def test_scale_learns_by_gradient() -> None:
    torch.manual_seed(0)
    req = Requantizer(4).train()
    opt = torch.optim.SGD(req.parameters(), lr=0.5)
    x = torch.rand(256, 16) * 4
    for _ in range(4):
        req(x)  # initialisation batches
    before = req.scale.value().item()
    for _ in range(50):
        opt.zero_grad()
        ((req(x) - x) ** 2).mean().backward()
        opt.step()
    assert req.scale.log_scale.grad is not None
    assert req.scale.value().item() != pytest.approx(before, rel=1e-3)
    assert torch.isfinite(req.scale.log_scale).all()


def _digits_model() -> nn.Sequential:
    torch.manual_seed(0)
    return mlp(64, (32,), 10, weight_bits=2, act_bits=2, input_bits=4)


def test_trains_with_an_ordinary_loop() -> None:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.data / 16, dtype=torch.float32)
    y = torch.tensor(d.target)
    model = _digits_model().train()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(3):
        for i in range(0, len(x), 128):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[i : i + 128]), y[i : i + 128])
            loss.backward()
            opt.step()
            losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    model.eval()
    assert (model(x).argmax(1) == y).float().mean() > 0.8


def test_state_dict_round_trip_is_exact(tmp_path: Path) -> None:
    model = _digits_model().train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.rand(32, 64))
    model.eval()
    torch.save(model.state_dict(), tmp_path / "m.pt")
    fresh = _digits_model()
    fresh.load_state_dict(torch.load(tmp_path / "m.pt"))
    fresh.eval()
    x = torch.rand(100, 64)
    np.testing.assert_array_equal(fresh(x).exact.codes.numpy(), model(x).exact.codes.numpy())


def _ddp_worker(rank: int, world: int, out: str) -> None:
    # a file rendezvous in the test's own directory: no TCP port to race other processes for
    dist.init_process_group(
        "gloo", init_method=f"file://{out}/rendezvous", rank=rank, world_size=world
    )
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = nn.Sequential(
        QuantInput(8, scale=1 / 255),
        QuantLinear(16, 8),
        nn.BatchNorm1d(8),
        Requantizer(2),
        QuantLinear(8, 4),
    )
    ddp = nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
    gen = torch.Generator().manual_seed(rank)  # each rank sees different data
    for _ in range(6):
        opt.zero_grad()
        x = torch.rand(32, 16, generator=gen) * (1 + rank)
        ddp(x).pow(2).mean().backward()
        opt.step()
    torch.save(
        {k: v.detach().clone() for k, v in model.state_dict().items()}, f"{out}/rank{rank}.pt"
    )
    # Both ranks leave together: a rank tearing gloo down while its peer is still in the last
    # collective made the peer abort ("terminate called without an active exception").
    dist.barrier()
    dist.destroy_process_group()


def test_distributed_data_parallel_keeps_ranks_identical(tmp_path: Path) -> None:
    mp.spawn(_ddp_worker, args=(2, str(tmp_path)), nprocs=2, join=True)
    a, b = (torch.load(tmp_path / f"rank{r}.pt") for r in range(2))
    params = [k for k in a if "log_scale" in k or k.endswith("weight")]
    assert params
    for key in params:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)
