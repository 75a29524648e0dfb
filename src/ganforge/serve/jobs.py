"""Projection jobs of ``ganforge serve``: an uploaded image projected into W or W+ in a background thread.

A job runs :func:`ganforge.explore.project` on its own copy of the generator (the projection swaps noise maps into
the network it optimises, which must not leak into the images the page asks for meanwhile), one job at a time per
network (``Entry.project_lock``; the next waits). Its progress (step, distance) is read by the SSE stream, and its
latent, once done, is a source for every image endpoint (``source=projection&projection=<job id>``).
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import torch

from ganforge.explore import project
from ganforge.inference import NetworkFile
from ganforge.serve.catalog import Entry

MAX_STEPS = 2000
"""Most optimisation steps one projection may ask for."""
MAX_JOBS = 32
"""Finished jobs kept (oldest dropped first); a running job is never dropped."""


@dataclass(eq=False)
class Job:
    """One projection: its settings, live progress and result."""

    id: str
    network: str
    space: str
    steps: int
    status: str = "queued"
    """``queued`` (waiting for the network's projection lock), ``running``, ``done`` or ``error``."""
    step: int = 0
    distance: float | None = None
    error: str | None = None
    ws: torch.Tensor | None = None
    """``[1, num_ws, w_dim]`` on CPU, once done."""
    noise: dict[str, torch.Tensor] | None = None
    started: float = field(default_factory=time.time)
    seconds: float | None = None

    def progress(self) -> dict:
        """What the page sees of the job (JSON)."""
        return {"id": self.id, "network": self.network, "space": self.space, "steps": self.steps,
                "status": self.status, "step": self.step, "distance": self.distance, "error": self.error,
                "seconds": self.seconds}


class JobStore:
    """The jobs of one server, by id."""

    def __init__(self):
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, job_id: str, network: str | None = None) -> Job:
        """The job ``job_id`` (of ``network`` when given).

        Raises:
            LookupError: Unknown id, or a job of another network.
        """
        with self._lock:
            job = self._jobs.get(job_id) if isinstance(job_id, str) else None
        if job is None or (network is not None and job.network != network):
            raise LookupError(f"unknown projection {str(job_id)[:40]!r} for this network (start one with "
                              "POST /api/project)")
        return job

    def done(self, job_id: str, network: str) -> Job:
        """A finished job of ``network``.

        Raises:
            LookupError: Unknown job. ValueError: Not finished yet, or failed.
        """
        job = self.get(job_id, network)
        if job.status != "done":
            raise ValueError(f"projection {job_id} is {job.status}" + (f": {job.error}" if job.error else
                                                                        "; wait for it to finish"))
        return job

    def start(self, entry: Entry, net: NetworkFile, target: np.ndarray, space: str, steps: int,
              c: torch.Tensor | None = None) -> Job:
        """Queue the projection of ``target [1, C, H, W]`` uint8 and return its job at once."""
        job = Job(id=secrets.token_hex(8), network=entry.id, space=space, steps=steps)
        with self._lock:
            self._jobs[job.id] = job
            finished = [k for k, j in self._jobs.items() if j.status in ("done", "error")]
            for k in finished[:max(0, len(self._jobs) - MAX_JOBS)]:
                del self._jobs[k]
        threading.Thread(target=self._run, args=(job, entry, net, torch.from_numpy(target), c), daemon=True,
                         name=f"project-{job.id}").start()
        return job

    @staticmethod
    def _run(job: Job, entry: Entry, net: NetworkFile, target: torch.Tensor, c: torch.Tensor | None) -> None:
        with entry.project_lock:
            job.status, job.started = "running", time.time()
            try:
                with entry.lock:  # not while a render has swapped a projection's noise maps into the shared G
                    G = copy.deepcopy(net.G)

                def on_step(step: int, dist: torch.Tensor) -> None:
                    job.step, job.distance = step + 1, float(dist.mean())

                res = project(G, target, space=job.space, steps=job.steps, c=c, callback=on_step)
                job.ws = res.ws.detach().cpu()
                job.noise = {k: v.detach().cpu() for k, v in res.noise.items()} if res.noise else None
                job.status = "done"
            except (ValueError, RuntimeError, MemoryError) as exc:
                job.error, job.status = " ".join(str(exc).split())[:500], "error"
            finally:
                job.seconds = round(time.time() - job.started, 2)
