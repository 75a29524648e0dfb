"""The ``ganforge serve`` ASGI app (Starlette): one static page and a JSON / PNG API over the public Python API.

Routes (``network`` is always an id from ``/api/networks``; images are PNG; errors are JSON ``{"error": ...}`` with
400 for a bad value, 404 for an unknown network or job, 403/411/413 from :mod:`ganforge.serve.guard`)::

    GET  /                          the page (static, in this package)
    GET  /api/networks              [{id, label, run, kimg}]
    GET  /api/networks/{id}         resolution, num_ws, w_dim, c_dim, has_w, layer presets, clusters
    GET  /api/image?network&seed&psi&cutoff&noise&class[&source=projection|cluster][&method&layers&num&amounts]
    GET  /api/latent?...            the same view's latent as .npz (``w [1, num_ws, w_dim]``: generate --projected-w)
    GET  /api/grid?network&seeds    GET /api/mix?network&rows&cols&styles    GET /api/interpolate?network&a&b&t&space
    GET  /api/directions?network&method&layers&num   the directions' values and scales (computed once, cached)
    POST /api/project               multipart: network, image, space (w|w+), steps -> 202 {id}
    GET  /api/project/{id}          progress JSON;   GET /api/project/{id}/events   the same as server-sent events
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ganforge.explore import compute_directions, load_centroids
from ganforge.explore.style_mixing import parse_styles, preset_layers
from ganforge.inference import class_labels
from ganforge.models.network import require_mapping
from ganforge.serve import render
from ganforge.serve.catalog import Catalog
from ganforge.serve.guard import LOCAL_HOSTS, GuardMiddleware, MAX_UPLOAD_BYTES, read_image
from ganforge.serve.jobs import MAX_STEPS, JobStore
from ganforge.serve.params import DirectionSpec, Rendering, View, integer, number, seed_list, text

STATIC = Path(__file__).parent / "static"
MAX_CACHED_DIRECTIONS = 32


def png(img: np.ndarray) -> Response:
    """``[H, W, C]`` uint8 -> a PNG response (fast zlib level: the page wants latency, not bytes).

    An image is a function of its URL (the networks are fixed at start, seeds and directions deterministic), so the
    browser may keep it: dragging a slider back over values it has shown costs no request.
    """
    buf = io.BytesIO()
    Image.fromarray(img[:, :, 0] if img.shape[2] == 1 else img).save(buf, format="PNG", compress_level=1)
    return Response(buf.getvalue(), media_type="image/png", headers={"cache-control": "private, max-age=600"})


class Server:
    """The state behind the routes: the catalog, projection jobs and cached directions."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.jobs = JobStore()
        self._directions: OrderedDict[tuple, object] = OrderedDict()
        self._directions_lock = threading.Lock()

    def directions(self, entry, net, spec: DirectionSpec, class_idx: int | None):
        """SeFa / GANSpace directions of a network for ``spec``, computed on first use (caller holds the lock)."""
        G = net.G
        require_mapping(G, f"{spec.method} directions")
        layers = tuple(parse_styles(spec.layers, G.num_ws, G.img_resolution))
        key = (entry.id, spec.method, layers, spec.num, class_idx)
        with self._directions_lock:
            found = self._directions.get(key)
        if found is None:
            c = class_labels(G.c_dim, class_idx, 1, net.device)
            found = compute_directions(G, spec.method, layers, spec.num, num_samples=5000, c=c)
        with self._directions_lock:
            self._directions[key] = found
            self._directions.move_to_end(key)
            while len(self._directions) > MAX_CACHED_DIRECTIONS:
                self._directions.popitem(last=False)
        return found

    def view_ws(self, entry, net, view: View) -> tuple[torch.Tensor, dict | None, int]:
        """``(ws [1, num_ws, w_dim], noise maps or None, seed of random noise)`` of a view, edits applied."""
        G = net.G
        noise = None
        if view.directions is not None:
            require_mapping(G, f"{view.directions.method} directions")
        if view.source == "projection":
            job = self.jobs.done(view.projection, entry.id)
            ws, noise = job.ws, job.noise
        elif view.source == "cluster":
            path = self.catalog.clusters_file(entry)
            if path is None:
                raise LookupError("no W clusters for this network: run `ganforge clusters --outdir "
                                  "<run folder>/clusters` first")
            cents = load_centroids(path, G.w_dim if render.has_w(G) else None)
            if view.cluster >= len(cents):
                raise ValueError(f"cluster must be in [0, {len(cents) - 1}], got {view.cluster}")
            ws = render.cluster_ws(G, cents[view.cluster])
        else:
            ws = render.seed_ws(G, view.seed, view.rendering)
        if view.directions is not None:
            ws = render.edit(ws, self.directions(entry, net, view.directions, view.rendering.class_idx), view.amounts)
        return ws.to(net.device), noise, view.seed

    def image(self, q) -> np.ndarray:
        view = View.parse(q)
        entry, net = self.catalog.open(text(q, "network"))
        with entry.lock:
            if view.source == "seed" and view.directions is None:  # exactly `ganforge generate`'s image
                return render.seeds_images(net.G, [view.seed], view.rendering)[0]
            ws, noise, seed = self.view_ws(entry, net, view)
            if noise is not None:
                noise = {k: v.to(net.device) for k, v in noise.items()}
            return render.synthesize(net.G, ws, view.rendering.noise_mode, noise, seed)[0]

    def latent(self, q) -> bytes:
        view = View.parse(q)
        entry, net = self.catalog.open(text(q, "network"))
        with entry.lock:
            require_mapping(net.G, "a latent download (w)")
            ws, noise, _ = self.view_ws(entry, net, view)
        arrays = {"w": ws.detach().cpu().numpy().astype(np.float32)}
        arrays.update({f"noise/{k}": v.cpu().numpy().astype(np.float32) for k, v in (noise or {}).items()})
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        return buf.getvalue()

    def info(self, entry_id: str) -> dict:
        entry, net = self.catalog.open(entry_id)
        G = net.G
        has_w = render.has_w(G)
        presets = {name: preset_layers(name, G.num_ws, G.img_resolution) for name in ("coarse", "middle", "fine")} \
            if has_w else {}
        clusters = self.catalog.clusters_file(entry)
        count = len(load_centroids(clusters)) if clusters is not None and has_w else 0
        height, width = G.img_shape
        return {"id": entry.id, "label": entry.label, "kimg": entry.kimg, "width": width, "height": height,
                "img_channels": G.img_channels, "z_dim": G.z_dim, "c_dim": G.c_dim, "has_w": has_w,
                "num_ws": G.num_ws if has_w else 0, "w_dim": G.w_dim if has_w else 0, "presets": presets,
                "clusters": count, "source": net.source}


def create_app(network: str | Path, *, device: str = "cpu", allowed_hosts: tuple[str, ...] = LOCAL_HOSTS,
               max_upload_bytes: int = MAX_UPLOAD_BYTES) -> Starlette:
    """The app serving the networks under ``network`` (a file, a run folder or a folder of runs).

    Raises:
        ValueError: Nothing servable under ``network``.
    """
    server = Server(Catalog(network, device))

    def threaded(fn):
        async def endpoint(request: Request):
            return await run_in_threadpool(fn, request)
        return endpoint

    def networks(request: Request):
        return JSONResponse([{"id": e.id, "label": e.label, "run": e.run, "kimg": e.kimg}
                             for e in server.catalog.entries()])

    def network_info(request: Request):
        return JSONResponse(server.info(request.path_params["id"]))

    def image(request: Request):
        return png(server.image(request.query_params))

    def latent(request: Request):
        return Response(server.latent(request.query_params), media_type="application/octet-stream",
                        headers={"content-disposition": 'attachment; filename="projected_w.npz"'})

    def grid(request: Request):
        q = request.query_params
        seeds, r = seed_list(q, "seeds"), Rendering.parse(q)
        entry, net = server.catalog.open(text(q, "network"))
        with entry.lock:
            return png(render.grid_image(net.G, seeds, r))

    def mix(request: Request):
        q = request.query_params
        rows, cols, r = seed_list(q, "rows"), seed_list(q, "cols"), Rendering.parse(q)
        if len(rows) * len(cols) > 64:
            raise ValueError(f"{len(rows)} x {len(cols)} mixes, over the limit of 64 per figure")
        entry, net = server.catalog.open(text(q, "network"))
        with entry.lock:
            return png(render.mixing_image(net.G, rows, cols, text(q, "styles", "coarse")[:200], r))

    def interpolate(request: Request):
        q = request.query_params
        a, b = integer(q, "a", 0, 2**32 - 1), integer(q, "b", 0, 2**32 - 1)
        t, space, r = number(q, "t", (0.0, 1.0), 0.5), text(q, "space", "z", ("z", "w")), Rendering.parse(q)
        entry, net = server.catalog.open(text(q, "network"))
        with entry.lock:
            return png(render.interpolation_image(net.G, a, b, t, space, r)[0])

    def directions(request: Request):
        q = request.query_params
        spec = DirectionSpec.parse(q)
        entry, net = server.catalog.open(text(q, "network"))
        with entry.lock:
            d = server.directions(entry, net, spec, integer(q, "class", 0, 1_000_000, optional=True))
        return JSONResponse({"method": d.method, "layers": list(d.layers), "values": d.values.tolist(),
                             "scales": d.scales.tolist()})

    async def start_projection(request: Request):
        form = await request.form(max_files=1, max_fields=8)
        upload = form.get("image")
        if upload is None or isinstance(upload, str):
            raise ValueError("missing file field 'image' (multipart/form-data)")
        data = await upload.read()
        q = {k: v for k, v in form.items() if isinstance(v, str)}
        space = text(q, "space", "w", ("w", "w+"))
        steps = integer(q, "steps", 1, MAX_STEPS, 200)
        entry, net = await run_in_threadpool(server.catalog.open, text(q, "network"))
        G = net.G
        require_mapping(G, "projection into W / W+")
        target = await run_in_threadpool(read_image, data, G.img_shape, G.img_channels)
        c = class_labels(G.c_dim, integer(q, "class", 0, 1_000_000, optional=True), 1, net.device)
        job = server.jobs.start(entry, net, target, space, steps, c)
        return JSONResponse(job.progress(), status_code=202)

    def job_status(request: Request):
        return JSONResponse(server.jobs.get(request.path_params["id"]).progress())

    async def job_events(request: Request):
        job = server.jobs.get(request.path_params["id"])

        async def stream():
            last = None
            while True:
                state = job.progress()
                if state != last:
                    event = state["status"] if state["status"] in ("done", "error") else "progress"
                    yield f"event: {event}\ndata: {json.dumps(state)}\n\n"
                    last = state
                    if event != "progress":
                        return
                await asyncio.sleep(0.1)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"cache-control": "no-store"})

    async def index(request: Request):
        return FileResponse(STATIC / "index.html", headers={"cache-control": "no-store"})

    async def bad_value(request: Request, exc: Exception):
        return JSONResponse({"error": " ".join(str(exc).split())}, status_code=400)

    async def not_found(request: Request, exc: Exception):
        return JSONResponse({"error": " ".join(str(exc).strip("'\"").split())}, status_code=404)

    routes = [
        Route("/", index),
        Route("/api/networks", threaded(networks)),
        Route("/api/networks/{id}", threaded(network_info)),
        Route("/api/image", threaded(image)),
        Route("/api/latent", threaded(latent)),
        Route("/api/grid", threaded(grid)),
        Route("/api/mix", threaded(mix)),
        Route("/api/interpolate", threaded(interpolate)),
        Route("/api/directions", threaded(directions)),
        Route("/api/project", start_projection, methods=["POST"]),
        Route("/api/project/{id}", threaded(job_status)),
        Route("/api/project/{id}/events", job_events),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={ValueError: bad_value, LookupError: not_found})
    app.add_middleware(GuardMiddleware, allowed_hosts=allowed_hosts, max_upload_bytes=max_upload_bytes)
    app.state.server = server
    return app
