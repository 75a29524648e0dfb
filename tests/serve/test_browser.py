"""End to end in a real browser: Playwright drives headless Chromium (Debian's ``chromium``) against a live server.

Each state is checked on the pixels the page rendered (the ``<img>`` drawn into a canvas): they change, and they
equal the API's PNG for the same URL and the library's image for the same settings. Skips, saying why, where
Playwright or Chromium is missing. ``GANFORGE_SCREENSHOTS=DIR`` keeps a screenshot of each state in DIR (docs/serve.md
uses them); ``GANFORGE_SERVE_NETWORK=PATH`` serves another network folder instead of the tiny one.
"""

import io
import os
import shutil
import socket
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganforge.explore import style_mixing_grid
from ganforge.explore.style_mixing import parse_styles
from tests.serve.conftest import png_bytes

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
CHROMIUM = os.environ.get("GANFORGE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found: apt-get install chromium "
                                                         "(or set GANFORGE_CHROMIUM to its path)")


@pytest.fixture(scope="module")
def live(served_root):
    """``(base_url, app)`` of a uvicorn server on a free port, in a thread."""
    import uvicorn

    from ganforge.serve import create_app

    root = Path(os.environ.get("GANFORGE_SERVE_NETWORK", served_root))
    app = create_app(root)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page(live):
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        pg = browser.new_page(viewport={"width": 1400, "height": 1100})
        pg.set_default_timeout(60_000)
        yield pg
        browser.close()


def fetch(base: str, url: str) -> np.ndarray:
    with urllib.request.urlopen(base + url) as r:
        assert r.headers["content-type"] == "image/png"
        return np.asarray(Image.open(io.BytesIO(r.read())).convert("RGB"))


def rendered(page, img_id: str, contains: str = "") -> tuple[str, np.ndarray]:
    """Wait until ``img_id`` shows a URL containing ``contains`` with nothing pending; ``(url, RGB pixels)``."""
    page.wait_for_function(
        """([id, part]) => { const i = document.getElementById(id);
             return i.dataset.loaded && i.dataset.loaded.includes(part) && !i.dataset.busy && !i.dataset.pending
                    && i.complete && i.naturalWidth > 0; }""", arg=[img_id, contains])
    url, pixels, w, h = page.evaluate(
        """(id) => { const i = document.getElementById(id), c = document.createElement("canvas");
             c.width = i.naturalWidth; c.height = i.naturalHeight;
             const ctx = c.getContext("2d"); ctx.drawImage(i, 0, 0);
             return [i.dataset.loaded, Array.from(ctx.getImageData(0, 0, c.width, c.height).data), c.width, c.height]; }""",
        img_id)
    return url, np.asarray(pixels, dtype=np.uint8).reshape(h, w, 4)[:, :, :3]


def snap(page, name: str) -> None:
    folder = os.environ.get("GANFORGE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def set_value(page, selector: str, value, event: str = "input") -> None:
    page.eval_on_selector(selector, f"(el, v) => {{ el.value = v; el.dispatchEvent(new Event('{event}')); }}", value)


def test_page_seed_psi_mixing_projection_and_sefa(live, page, tmp_path):
    base, app = live
    page.goto(base + "/")
    network = page.eval_on_selector("#network", "el => el.value")
    _, net = app.state.server.catalog.open(network)

    url, first = rendered(page, "main-img", "seed=0")
    assert np.array_equal(first, fetch(base, url))
    assert np.array_equal(first, net.generate([0])[0].numpy())
    rendered(page, "grid-img")
    snap(page, "1-start")

    set_value(page, "#seed", "5", "change")  # a new seed
    url, seed5 = rendered(page, "main-img", "seed=5")
    assert not np.array_equal(seed5, first)
    assert np.array_equal(seed5, fetch(base, url)) and np.array_equal(seed5, net.generate([5])[0].numpy())

    set_value(page, "#psi", "0.5")  # drag the psi slider
    url, trunc = rendered(page, "main-img", "psi=0.5")
    assert not np.array_equal(trunc, seed5)
    assert np.array_equal(trunc, fetch(base, url)) and np.array_equal(trunc, net.generate([5], psi=0.5)[0].numpy())
    snap(page, "2-seed-psi")

    page.fill("#mix-rows", "1,2")
    page.fill("#mix-cols", "3,4,5")
    page.select_option("#mix-preset", "middle")
    page.click("#mix-run")
    url, mix = rendered(page, "mix-img", "styles=middle")
    layers = parse_styles("middle", net.G.num_ws, net.G.img_resolution)
    assert np.array_equal(mix, fetch(base, url))
    assert np.array_equal(mix, style_mixing_grid(net.G, [1, 2], [3, 4, 5], layers, psi=0.5))
    snap(page, "3-style-mixing")

    target = tmp_path / "target.png"  # an image of the network itself, 3x larger: the page resizes it
    big = np.kron(net.generate([11])[0].numpy(), np.ones((3, 3, 1), dtype=np.uint8))
    target.write_bytes(png_bytes(big))
    page.set_input_files("#proj-file", str(target))
    page.fill("#proj-steps", "25")
    page.click("#proj-run")
    page.wait_for_function("() => document.getElementById('proj-status').textContent.startsWith('done')")
    assert page.eval_on_selector("#proj-progress", "el => el.value") == 25
    url, projected = rendered(page, "main-img", "source=projection")
    assert np.array_equal(projected, fetch(base, url)) and not np.array_equal(projected, trunc)
    snap(page, "4-projection")

    page.select_option("#dir-method", "sefa")
    page.click("#dir-compute")
    page.wait_for_selector("#dir-1")
    set_value(page, "#dir-1", "3")  # move the second SeFa slider
    url, moved = rendered(page, "main-img", "amounts=0%2C3")
    assert "method=sefa" in url and "source=projection" in url
    assert np.array_equal(moved, fetch(base, url)) and not np.array_equal(moved, projected)
    snap(page, "5-sefa-slider")
    assert page.inner_text("#error") == ""


def test_page_interpolation_clusters_downloads_and_a_network_without_w(live, page):
    base, app = live
    page.goto(base + "/")
    rendered(page, "main-img", "seed=0")
    _, middle = rendered(page, "interp-img", "t=0.5")
    set_value(page, "#interp-t", "0")  # drag the scrubber to the first seed
    url, start = rendered(page, "interp-img", "t=0&")
    assert not np.array_equal(start, middle) and np.array_equal(start, fetch(base, url))
    network = page.eval_on_selector("#network", "el => el.value")
    _, net = app.state.server.catalog.open(network)
    assert np.array_equal(start, net.generate([1])[0].numpy())  # t=0 is seed "from" (1)

    if page.query_selector("#cluster-0") is not None:  # the served run has W clusters
        page.click("#cluster-0")
        url, cluster = rendered(page, "main-img", "source=cluster")
        assert np.array_equal(cluster, fetch(base, url))
    with urllib.request.urlopen(base + page.get_attribute("#download-latent", "href")) as r:
        latent = np.load(io.BytesIO(r.read()))
    assert latent["w"].shape == (1, net.G.num_ws, net.G.w_dim)

    options = page.eval_on_selector_all("#network option", "els => els.map(e => [e.value, e.textContent])")
    no_w = [value for value, label in options if "dcgan" in label]
    if no_w:  # switch to a network without W space: the W-only sections grey out, seeds still render
        page.select_option("#network", no_w[0])
        url, img = rendered(page, "main-img", f"network={no_w[0]}")
        assert np.array_equal(img, fetch(base, url))
        assert page.eval_on_selector("section.needs-w", "el => el.classList.contains('disabled')")
    assert page.inner_text("#error") == ""
