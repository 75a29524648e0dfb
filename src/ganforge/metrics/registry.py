"""Metrics by name: ``compute_metrics(['fid50k_full', 'swd1k'], G, data)`` -> one result record per metric.

Each metric kind (fid, kid, rfid, rkid, swd, pr, is, ppl, eqt_int, eqt_frac, eqr) is a function registered in :data:`METRIC_KINDS`; the name
grammar lives in ``metrics/names.py``. A :class:`MetricSession` opens feature networks once, caches real features
per dataset + protocol on disk (``metrics/sources.py``) and shares generated features between metrics of one call
(``fid10k`` and ``kid10k`` generate once). Every record states its protocol: number of fakes, reference set and size,
feature network and weight sha256, resize, seed and the ganforge version, so that numbers are never compared across
protocols by accident.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ganforge.metrics.features import FeatureNet, open_feature_net
from ganforge.metrics.names import MetricSpec, parse_metric
from ganforge.metrics.sources import iterate_fakes, iterate_reals, open_reference, real_count, real_features
from ganforge.registry import Registry
from ganforge.utils.atomic import atomic_write
from ganforge.version import __version__


@dataclass
class MetricOptions:
    """How to evaluate: the reference data, devices, batch sizes, weight files and the cache."""

    data: str | Path | None = None
    """Reference dataset (folder or zip); needed by every metric but ``is`` and ``ppl``."""
    device: torch.device | str = "cpu"
    batch_size: int = 32
    """Images per generator / feature-network pass (memory only; results do not depend on it)."""
    seed: int = 0
    """Seed of the generated latents (and of SWD's slices, KID's subsets, PPL's samples)."""
    cache_dir: str | Path | bool | None = None
    """Real-feature cache folder (``None`` = ``$GANFORGE_CACHE/metrics`` or ``~/.cache/ganforge/metrics``; ``False`` off)."""
    inception: str | Path | None = None
    """FID Inception weights (else ``$GANFORGE_INCEPTION``)."""
    vgg16: str | Path | None = None
    """VGG16 weights for precision/recall and PPL (else ``$GANFORGE_VGG16``)."""
    lpips: str | Path | None = None
    """LPIPS v0.1 heads for PPL with torchvision VGG16 weights (else ``$GANFORGE_LPIPS``)."""
    num_threads: int | None = None
    """CPU threads for the feature networks (``None`` = torch's current setting)."""
    progress: bool = False


@dataclass
class MetricSession:
    """One evaluation of one generator: opened networks, the reference set, generated features shared by metrics."""

    G: torch.nn.Module
    opts: MetricOptions
    _nets: dict[str, FeatureNet] = field(default_factory=dict)
    _fakes: dict[str, tuple[torch.Tensor, torch.Tensor | None]] = field(default_factory=dict)
    _reference: object = None

    @property
    def reference(self):
        if self._reference is None:
            if not self.opts.data:
                raise ValueError("this metric needs the reference dataset: pass --data (a folder or zip)")
            self._reference = open_reference(self.opts.data)
        return self._reference

    def net(self, name: str) -> FeatureNet:
        if name not in self._nets:
            weights = {"inception": self.opts.inception, "vgg16": self.opts.vgg16}.get(name)
            self._nets[name] = open_feature_net(name, weights, self.opts.device)
        return self._nets[name]

    def reals(self, net_name: str, max_items: int | None) -> tuple[torch.Tensor, dict]:
        return real_features(self.net(net_name), self.reference, max_items, batch_size=self.opts.batch_size,
                             cache_dir=self.opts.cache_dir, progress=self.opts.progress)

    def fake_images(self, num: int):
        labels = self.reference if getattr(self.G, "c_dim", 0) else None
        return iterate_fakes(self.G, num, batch_size=self.opts.batch_size, seed=self.opts.seed,
                             device=self.opts.device, labels_from=labels, progress=self.opts.progress)

    def fakes(self, net_name: str, num: int, logits: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Features (and logits) of the first ``num`` generated images; generated once per network per session."""
        cached = self._fakes.get(net_name)
        if cached is None or cached[0].shape[0] < num or (logits and cached[1] is None):
            net = self.net(net_name)
            feats, logs = [], []
            for images in self.fake_images(num):
                out = net(images, return_logits=logits)
                feats.append(out[0] if logits else out)
                if logits:
                    logs.append(out[1])
            cached = (torch.cat(feats), torch.cat(logs) if logits else None)
            self._fakes[net_name] = cached
        return cached[0][:num], (cached[1][:num] if cached[1] is not None else None)

    def reference_protocol(self, spec: MetricSpec) -> dict:
        return {"dataset": str(self.reference.path), "num_real": real_count(self.reference, spec.max_real),
                "full": spec.full, "xflip": False}


MetricFn = Callable[[MetricSession, MetricSpec], tuple[dict[str, float], dict]]
METRIC_KINDS: Registry[MetricFn] = Registry("metric kind")


def _feature_metric(net_name: str, compute: Callable[[torch.Tensor, torch.Tensor], dict[str, float]]) -> MetricFn:
    def run(session: MetricSession, spec: MetricSpec) -> tuple[dict[str, float], dict]:
        real, protocol = session.reals(net_name, spec.max_real)
        fake, _ = session.fakes(net_name, spec.num_gen)
        return compute(real, fake), {**protocol, "num_gen": spec.num_gen}

    return run


def _fid(name: str) -> Callable[[torch.Tensor, torch.Tensor], dict[str, float]]:
    from ganforge.metrics.fid import fid_from_features

    return lambda real, fake: {name: fid_from_features(real, fake)}


def _kid(name: str, standardize: bool) -> Callable[[torch.Tensor, torch.Tensor], dict[str, float]]:
    from ganforge.metrics.kid import kid_from_features
    from ganforge.metrics.standardize import feature_mean_std, standardize_features

    def compute(real: torch.Tensor, fake: torch.Tensor) -> dict[str, float]:
        if standardize:  # random features are tiny: standardise with the real set's statistics (REFERENCE §4b)
            mean, std = feature_mean_std(real)
            real, fake = standardize_features(real, mean, std), standardize_features(fake, mean, std)
        return {name: kid_from_features(real, fake)}

    return compute


@METRIC_KINDS.register("fid")
def _fid_metric(session, spec):
    return _feature_metric("inception", _fid(spec.name))(session, spec)


@METRIC_KINDS.register("rfid")
def _rfid_metric(session, spec):
    return _feature_metric("random_inception", _fid(spec.name))(session, spec)


@METRIC_KINDS.register("kid")
def _kid_metric(session, spec):
    return _feature_metric("inception", _kid(spec.name, standardize=False))(session, spec)


@METRIC_KINDS.register("rkid")
def _rkid_metric(session, spec):
    return _feature_metric("random_inception", _kid(spec.name, standardize=True))(session, spec)


@METRIC_KINDS.register("pr")
def _pr_metric(session, spec):
    from ganforge.metrics.precision_recall import precision_recall

    def compute(real, fake):
        precision, recall = precision_recall(real, fake, k=3)
        return {f"{spec.name}_precision": precision, f"{spec.name}_recall": recall}

    return _feature_metric("vgg16", compute)(session, spec)


@METRIC_KINDS.register("is")
def _is_metric(session, spec):
    from ganforge.metrics.inception_score import inception_score_from_logits_or_probs

    _, logits = session.fakes("inception", spec.num_gen, logits=True)
    mean, std = inception_score_from_logits_or_probs(logits, num_splits=10, kind="logits")
    return {f"{spec.name}_mean": mean, f"{spec.name}_std": std}, {"features": session.net("inception").identity,
                                                                   "num_gen": spec.num_gen, "num_splits": 10}


@METRIC_KINDS.register("swd")
def _swd_metric(session, spec):
    from ganforge.metrics.swd import swd

    n = min(spec.num_gen, real_count(session.reference, spec.max_real))  # SWD compares equal-size sets
    reals = torch.cat(list(iterate_reals(session.reference, n, session.opts.batch_size)))
    fakes = torch.cat(list(session.fake_images(n)))
    values = swd(reals, fakes, seed=session.opts.seed, device=session.opts.device)
    out = {spec.name: values["SWDx1e3_avg"]}
    out.update({f"{spec.name}_{key.removeprefix('SWDx1e3_')}": v for key, v in values.items() if key != "SWDx1e3_avg"})
    return out, {**session.reference_protocol(spec), "num_real": n, "num_gen": n, "units": "x1e3",
                 "descriptors_per_image": 128, "features": {"network": "laplacian-pyramid-7x7"}}


@METRIC_KINDS.register("ppl")
def _reference_labels(session):
    """``labels(n, rng) -> [n, c_dim]`` drawn from the reference dataset for a conditional G, else ``None``."""
    if not getattr(session.G, "c_dim", 0):
        return None
    ref = session.reference

    def labels(n, rng):
        idx = rng.integers(len(ref), size=n)
        return torch.from_numpy(np.stack([ref.get_label(int(i)) for i in idx])).to(session.opts.device)

    return labels


def _ppl_metric(session, spec):
    from ganforge.metrics.ppl import lpips_distance, perceptual_path_length

    distance = lpips_distance(session.opts.vgg16, session.opts.lpips, device=session.opts.device)
    labels = _reference_labels(session)

    values = perceptual_path_length(session.G, distance, num_samples=spec.num_gen, epsilon=1e-4,
                                    space=spec.ppl_space, sampling=spec.ppl_sampling, crop=spec.ppl_crop,
                                    batch_size=max(session.opts.batch_size // 2, 1), seed=session.opts.seed,
                                    labels=labels, device=session.opts.device, progress=session.opts.progress)
    return {spec.name: values["ppl"]}, {"num_gen": spec.num_gen, "epsilon": 1e-4, "space": spec.ppl_space,
                                        "sampling": spec.ppl_sampling, "crop": spec.ppl_crop, "distance": "lpips-vgg"}


def _equivariance_metric(session, spec):
    from ganforge.metrics.equivariance import SINC_RADIUS, TRANSLATE_MAX, equivariance_psnr

    labels = _reference_labels(session)

    value = equivariance_psnr(session.G, spec.kind, spec.num_gen, batch_size=session.opts.batch_size,
                              seed=session.opts.seed, device=session.opts.device, labels=labels)
    protocol = {"num_gen": spec.num_gen, "units": "dB", "peak": 2.0}
    if spec.kind == "eqr":
        protocol.update(angle_deg=[-180, 180], image_rotation="4x Kaiser upsampling, bilinear, radial low-pass")
    else:
        protocol.update(translate_max=TRANSLATE_MAX, integer=spec.kind == "eqt_int", sinc_radius=SINC_RADIUS)
    return {spec.name: value}, protocol


for _kind in ("eqt_int", "eqt_frac", "eqr"):
    METRIC_KINDS.register(_kind, _equivariance_metric)


def compute_metrics(names, G: torch.nn.Module, opts: MetricOptions, *, network: str | None = None,
                    kimg: float | None = None) -> list[dict]:
    """Evaluate ``names`` on generator ``G`` (eval mode, no gradients); one record per metric, in order.

    Record: ``{"metric", "results": {name: value, ...}, "protocol": {...}, "total_time", "network", "kimg",
    "timestamp", "ganforge_version"}`` (NVIDIA's metric-*.jsonl fields plus the protocol).
    """
    specs = [parse_metric(name) for name in ([names] if isinstance(names, str) else names)]
    threads = torch.get_num_threads()
    if opts.num_threads:
        torch.set_num_threads(opts.num_threads)
    was_training = G.training
    G.eval()
    session = MetricSession(G, opts)
    records = []
    try:
        with torch.no_grad():
            for spec in specs:
                start = time.time()
                results, protocol = METRIC_KINDS.get(spec.kind)(session, spec)
                protocol = {"kind": spec.kind, "seed": opts.seed, "ganforge_version": __version__, **protocol}
                records.append({"metric": spec.name, "results": results, "protocol": protocol,
                                "total_time": time.time() - start, "network": network, "kimg": kimg,
                                "timestamp": time.time(), "ganforge_version": __version__})
    finally:
        G.train(was_training)
        torch.set_num_threads(threads)
    return records


def append_metric_record(run_dir: str | Path, record: dict) -> Path:
    """Append ``record`` as one line to ``run_dir/metric-<name>.jsonl`` (rewritten atomically)."""
    path = Path(run_dir) / f"metric-{record['metric']}.jsonl"
    old = path.read_text() if path.is_file() else ""
    line = json.dumps(record, sort_keys=False) + "\n"
    atomic_write(path, lambda tmp: Path(tmp).write_text(old + line))
    return path


def headline(record: dict) -> float:
    """The main number of a record (the value under the metric's own name, or its first value)."""
    results = record["results"]
    return float(results.get(record["metric"], next(iter(results.values()))))
