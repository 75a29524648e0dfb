"""The serve app's guards: same-origin only, known hosts only, bounded uploads of bounded images.

* A request whose ``Origin`` is not the page's own origin, or that the browser marks ``Sec-Fetch-Site: cross-site``,
  is refused (403): another web page open in the same browser cannot drive the server or read its images.
* The ``Host`` header must name the address the server was started on (or ``localhost``): a DNS-rebinding page that
  reaches ``127.0.0.1`` under its own name is refused (403).
* A request body must declare its length and stay under ``max_upload_bytes`` (413), before anything is read; an image
  over ``MAX_PIXELS`` is refused from its header, before it is decoded.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import numpy as np
from PIL import Image

from ganforge.data.transforms import BadImageError, decode_image

MAX_UPLOAD_BYTES = 16 * 1024**2
"""Largest request body (an uploaded image): 16 MiB."""
MAX_PIXELS = 4096 * 4096
"""Largest uploaded image, in pixels (checked from the header, before decoding)."""
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def _host_name(host: str) -> str:
    """``"127.0.0.1:7860"`` -> ``"127.0.0.1"``; ``"[::1]:7860"`` -> ``"::1"``."""
    return (urlsplit(f"//{host}").hostname or "").lower()


class GuardMiddleware:
    """ASGI middleware applying the rules of the module docstring to every HTTP request."""

    def __init__(self, app, allowed_hosts: tuple[str, ...] = LOCAL_HOSTS, max_upload_bytes: int = MAX_UPLOAD_BYTES):
        self.app = app
        self.allowed_hosts = tuple(h.lower() for h in allowed_hosts)
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self.check(scope["method"], headers)
        if refusal is not None:
            status, message = refusal
            body = json.dumps({"error": message}).encode()
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        return await self.app(scope, receive, send)

    def check(self, method: str, headers: dict[str, str]) -> tuple[int, str] | None:
        """``(status, message)`` of a refusal, or ``None`` to let the request through."""
        host = headers.get("host", "")
        if _host_name(host) not in self.allowed_hosts:
            return 403, (f"host {host[:80]!r} is not served here (DNS-rebinding guard); open the page at "
                         f"{' or '.join(self.allowed_hosts)}")
        origin = headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != host.lower():
            return 403, f"cross-origin request from {origin[:80]!r} refused; use the page served by this server"
        if headers.get("sec-fetch-site") == "cross-site":
            return 403, "cross-site request refused; use the page served by this server"
        if method in ("POST", "PUT", "PATCH"):
            length = headers.get("content-length")
            if length is None or not length.isdigit():
                return 411, "a request body needs a Content-Length"
            if int(length) > self.max_upload_bytes:
                return 413, (f"upload of {int(length) / 1024**2:.1f} MiB is over the limit of "
                             f"{self.max_upload_bytes / 1024**2:.0f} MiB")
        return None


def read_image(data: bytes, shape: tuple[int, int], channels: int) -> np.ndarray:
    """An uploaded image fitted to the network: centre-cropped to its aspect, resized (Lanczos) to ``shape``
    ``(H, W)``, with ``channels`` channels: ``[1, C, H, W]`` uint8.

    Raises:
        ValueError: Not an image, corrupt, or over :data:`MAX_PIXELS`.
    """
    import io

    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
    except Exception:  # noqa: BLE001 - PIL raises many kinds on garbage; all mean the same to the user
        raise ValueError("the upload is not an image PIL can read (PNG, JPEG, WebP, ...)") from None
    if width * height > MAX_PIXELS:
        raise ValueError(f"the image is {width}x{height} = {width * height / 1e6:.1f} MP, over the limit of "
                         f"{MAX_PIXELS / 1e6:.1f} MP")
    try:
        img = decode_image(data)
    except BadImageError as exc:
        raise ValueError(f"the upload is not a usable image: {exc}") from None
    img = img.convert("L" if channels == 1 else "RGB")
    h, w = shape
    scale = min(img.width / w, img.height / h)
    cw, ch = round(w * scale), round(h * scale)
    left, top = (img.width - cw) // 2, (img.height - ch) // 2
    img = img.resize((w, h), Image.LANCZOS, box=(left, top, left + cw, top + ch))
    arr = np.asarray(img, dtype=np.uint8)
    arr = arr[:, :, None] if arr.ndim == 2 else arr
    if channels not in (1, 3):
        raise ValueError(f"projection of {channels}-channel networks is not supported by the page")
    return np.ascontiguousarray(arr.transpose(2, 0, 1)[None])
