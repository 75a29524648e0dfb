"""Data-parallel training across processes (``torchrun``): process group setup and gradient averaging.

Under ``torchrun --nproc_per_node N`` the environment carries ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``; we join a
process group (NCCL on CUDA, gloo on CPU). Gradients are averaged with one ``all_reduce`` of the flattened
gradients per phase, as DistributedDataParallel's bucketed all-reduce does, but explicitly: it composes with the
double backward of R1 and the path-length penalty, and with gradient accumulation over several rounds.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistEnv:
    """Where this process sits: ``rank`` of ``world_size`` processes, on ``device``."""

    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1


def resolve_device(spec: str, local_rank: int = 0) -> torch.device:
    """``auto`` -> ``cuda:<local_rank>`` when CUDA is available, else ``cpu``; anything else is taken as given."""
    if spec == "auto":
        return torch.device("cuda", local_rank) if torch.cuda.is_available() else torch.device("cpu")
    device = torch.device(spec)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"--device {spec}: CUDA is not available on this machine (use --device cpu)")
        if device.index is None:
            device = torch.device("cuda", local_rank)
    return device


def init_distributed(device_spec: str = "auto") -> DistEnv:
    """Join the ``torchrun`` process group if there is one; a plain single process otherwise."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_spec, local_rank)
    if world_size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend, timeout=datetime.timedelta(minutes=30))
    return DistEnv(rank=rank, world_size=world_size, device=device)


def shutdown_distributed(env: DistEnv) -> None:
    if env.is_distributed and dist.is_initialized():
        dist.destroy_process_group()


def broadcast_module(module: torch.nn.Module, env: DistEnv) -> None:
    """Make every process start from rank 0's parameters and buffers."""
    if not env.is_distributed:
        return
    for tensor in list(module.parameters()) + list(module.buffers()):
        dist.broadcast(tensor.data, src=0)


def average_gradients(params: list[torch.nn.Parameter], env: DistEnv) -> None:
    """All-reduce-mean the gradients of ``params`` across processes.

    Parameters without a gradient (e.g. a bias that a penalty does not depend on) keep ``grad = None`` so that the
    optimizer skips them, exactly as in a single process; which ones those are is the same on every process.
    """
    if not env.is_distributed:
        return
    params = [p for p in params if p.grad is not None]
    if not params:
        return
    flat = torch.cat([p.grad.flatten() for p in params])
    dist.all_reduce(flat)
    flat /= env.world_size
    offset = 0
    for p in params:
        n = p.numel()
        p.grad.copy_(flat[offset:offset + n].view_as(p.grad))
        offset += n


def all_reduce_mean(value: torch.Tensor, env: DistEnv) -> torch.Tensor:
    """Mean of a tensor over processes (returns ``value`` unchanged in a single process)."""
    if not env.is_distributed:
        return value
    value = value.detach().clone()
    dist.all_reduce(value)
    return value / env.world_size
