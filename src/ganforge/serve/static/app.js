// ganforge serve page: plain JS over the JSON/PNG API (no framework, no CDN).
// Each image keeps at most one request in flight; a newer URL waits and replaces older waiting ones, so a dragged
// slider shows its latest value without queueing every intermediate one. img.dataset.loaded holds the URL shown.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { network: null, info: null, source: "seed", projection: null, cluster: null, dir: null, amounts: [] };

function show(img, url) {
  if (img.dataset.busy) { img.dataset.pending = url; return; }
  img.dataset.busy = "1";
  img.classList.add("busy");
  const done = (ok) => {
    delete img.dataset.busy;
    img.classList.remove("busy");
    if (ok) img.dataset.loaded = url;
    const next = img.dataset.pending;
    delete img.dataset.pending;
    if (next && next !== url) show(img, next);
  };
  img.onload = () => done(true);
  img.onerror = () => { done(false); reportFrom(url); };
  img.src = url;
}

async function reportFrom(url) {  // an image failed: fetch it again for the JSON message
  try {
    const r = await fetch(url);
    if (!r.ok) error((await r.json()).error);
  } catch (e) { error(String(e)); }
}

function error(msg) { $("error").textContent = msg || ""; }

async function getJSON(url, options) {
  const r = await fetch(url, options);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function rendering() {
  const q = new URLSearchParams({ network: state.network, psi: $("psi").value, noise: $("noise").value });
  if ($("cutoff").value !== "") q.set("cutoff", $("cutoff").value);
  if (state.info && state.info.c_dim > 0) q.set("class", $("class").value);
  return q;
}

function viewQuery() {
  const q = rendering();
  q.set("seed", $("seed").value);
  q.set("source", state.source);
  if (state.source === "projection") q.set("projection", state.projection);
  if (state.source === "cluster") q.set("cluster", state.cluster);
  if (state.dir && state.amounts.some((a) => a !== 0)) {
    q.set("method", state.dir.method); q.set("layers", state.dir.layers); q.set("num", state.dir.num);
    q.set("amounts", state.amounts.join(","));
  }
  return q.toString();
}

function updateView() {
  error("");
  const q = viewQuery();
  show($("main-img"), "/api/image?" + q);
  $("download-img").href = "/api/image?" + q;
  $("download-latent").href = "/api/latent?" + q;
  $("source").textContent = state.source === "seed" ? "" : state.source === "projection"
    ? "showing: projection " + state.projection : "showing: cluster " + state.cluster;
}

function updateGrid() {
  const s = Number($("seed").value);
  const q = rendering();
  q.set("seeds", `${s}-${s + 7}`);
  show($("grid-img"), "/api/grid?" + q);
}

function updateInterp() {
  const q = rendering();
  q.set("a", $("interp-a").value); q.set("b", $("interp-b").value);
  q.set("t", $("interp-t").value); q.set("space", $("interp-space").value);
  show($("interp-img"), "/api/interpolate?" + q);
}

function updateMix() {
  const q = rendering();
  const preset = $("mix-preset").value;
  q.set("rows", $("mix-rows").value); q.set("cols", $("mix-cols").value);
  q.set("styles", preset === "custom" ? $("mix-custom").value : preset);
  show($("mix-img"), "/api/mix?" + q);
}

function setSeed(seed) {
  $("seed").value = seed;
  state.source = "seed";
  updateView(); updateGrid();
}

async function computeDirections() {
  const dir = { method: $("dir-method").value, layers: $("dir-layers").value, num: Number($("dir-num").value) };
  const q = new URLSearchParams({ network: state.network, ...dir });
  if (state.info.c_dim > 0) q.set("class", $("class").value);
  $("dir-compute").disabled = true;
  try {
    const d = await getJSON("/api/directions?" + q);
    state.dir = dir;
    state.amounts = d.values.map(() => 0);
    const box = $("dir-sliders");
    box.innerHTML = "";
    d.values.forEach((v, k) => {
      const label = document.createElement("label");
      const input = Object.assign(document.createElement("input"),
        { type: "range", min: -5, max: 5, step: 0.1, value: 0, id: `dir-${k}` });
      const out = document.createElement("output");
      out.textContent = "0";
      input.addEventListener("input", () => {
        state.amounts[k] = Number(input.value); out.textContent = input.value; updateView();
      });
      label.append(`${dir.method} ${k} (${v.toFixed(2)})`, input, out);
      box.append(label);
    });
    error("");
  } catch (e) { error(e.message); } finally { $("dir-compute").disabled = false; }
}

async function runProjection() {
  const file = $("proj-file").files[0];
  if (!file) { error("choose an image file first"); return; }
  const form = new FormData();
  form.append("network", state.network); form.append("space", $("proj-space").value);
  form.append("steps", $("proj-steps").value); form.append("image", file);
  if (state.info.c_dim > 0) form.append("class", $("class").value);
  $("proj-run").disabled = true;
  try {
    const job = await getJSON("/api/project", { method: "POST", body: form });
    $("proj-progress").max = job.steps;
    $("proj-status").textContent = "queued";
    const events = new EventSource(`/api/project/${job.id}/events`);
    const step = (e) => {
      const s = JSON.parse(e.data);
      $("proj-progress").value = s.step;
      $("proj-status").textContent = `${s.status}: step ${s.step}/${s.steps}` +
        (s.distance === null ? "" : `, distance ${s.distance.toFixed(4)}`);
    };
    events.addEventListener("progress", step);
    events.addEventListener("done", (e) => {
      step(e); events.close(); $("proj-run").disabled = false;
      state.source = "projection"; state.projection = job.id; updateView();
    });
    events.addEventListener("error", (e) => {
      events.close(); $("proj-run").disabled = false;
      if (e.data) { step(e); error(JSON.parse(e.data).error); }
    });
  } catch (e) { error(e.message); $("proj-run").disabled = false; }
}

function showClusters() {
  const box = $("clusters");
  box.innerHTML = "";
  $("clusters-hint").textContent = state.info.clusters ? "click a centroid to start from it"
    : "none found: run `ganforge clusters --outdir <run>/clusters`";
  for (let k = 0; k < state.info.clusters; k++) {
    const img = Object.assign(document.createElement("img"), { alt: `cluster ${k}`, id: `cluster-${k}` });
    img.src = `/api/image?network=${state.network}&source=cluster&cluster=${k}&noise=${$("noise").value}`;
    img.addEventListener("click", () => { state.source = "cluster"; state.cluster = k; updateView(); });
    box.append(img);
  }
}

async function selectNetwork(id) {
  state.network = id;
  state.source = "seed"; state.dir = null; state.amounts = []; $("dir-sliders").innerHTML = "";
  try {
    state.info = await getJSON("/api/networks/" + id);
  } catch (e) { error(e.message); return; }
  const i = state.info;
  $("net-info").textContent = `${i.width}x${i.height}` + (i.has_w ? `, ${i.num_ws} ws of ${i.w_dim}` : ", no W space");
  document.querySelectorAll(".needs-w").forEach((s) => s.classList.toggle("disabled", !i.has_w));
  $("class-label").hidden = i.c_dim === 0;
  $("class").innerHTML = Array.from({ length: i.c_dim }, (_, k) => `<option>${k}</option>`).join("");
  updateView(); updateGrid(); updateInterp();
  if (i.has_w) { updateMix(); showClusters(); }
}

async function init() {
  const nets = await getJSON("/api/networks");
  $("network").innerHTML = nets.map((n) => `<option value="${n.id}">${n.label}</option>`).join("");
  const newest = nets.filter((n) => n.kimg !== null).pop() || nets[0];
  $("network").value = newest.id;
  $("network").addEventListener("change", () => selectNetwork($("network").value));
  $("seed").addEventListener("change", () => setSeed($("seed").value));
  $("random").addEventListener("click", () => setSeed(Math.floor(Math.random() * 100000)));
  $("psi").addEventListener("input", () => { $("psi-value").textContent = $("psi").value; updateView(); });
  for (const id of ["psi", "cutoff", "noise", "class"]) {
    $(id).addEventListener("change", () => { updateView(); updateGrid(); updateInterp(); });
  }
  $("grid-img").addEventListener("click", (e) => {
    const img = e.currentTarget, cols = Math.ceil(Math.sqrt(8));
    const col = Math.floor(e.offsetX / img.clientWidth * cols), row = Math.floor(e.offsetY / img.clientHeight * 3);
    const k = row * cols + col;
    if (k < 8) setSeed(Number($("seed").value) + k);
  });
  for (const id of ["interp-a", "interp-b", "interp-space"]) $(id).addEventListener("change", updateInterp);
  $("interp-t").addEventListener("input", updateInterp);
  $("mix-preset").addEventListener("change", () => { $("mix-custom").hidden = $("mix-preset").value !== "custom"; });
  $("mix-run").addEventListener("click", updateMix);
  $("dir-compute").addEventListener("click", computeDirections);
  $("proj-run").addEventListener("click", runProjection);
  await selectNetwork(newest.id);
}

init().catch((e) => error(e.message));
