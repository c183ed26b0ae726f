// EmbedLab point map: every point of a map drawn on a canvas, with hover, click-to-pick, box and
// lasso selection, zoom and pan (rotation for 3-D maps), highlights and cluster labels.
//
// Heavy arrays (coordinates, hover texts, colours) are cached here by the content id Python gives
// them; Python sends an array once per session and remembers it, so recolouring, highlighting a
// search or picking a point sends a few kilobytes, not the whole map again. Only when an array
// it was told it has is missing here does this page say so (`need`), once per gap: a report after
// every draw would rerun the map's fragment and delay the user's next action.
// Texts are always set with textContent (never innerHTML): they come from user data.

const CACHE = new Map(); // content id -> decoded array (shared by every map on the page)
const MAPS = new WeakMap(); // parentElement -> map state
const MAX_CACHE = 24;

function decode(b64, type) {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  if (type === "f4") return new Float32Array(bytes.buffer);
  if (type === "u2") return new Uint16Array(bytes.buffer);
  if (type === "i4") return new Int32Array(bytes.buffer);
  return bytes;
}

function remember(id, value) {
  if (CACHE.size >= MAX_CACHE) CACHE.delete(CACHE.keys().next().value);
  CACHE.set(id, value);
}

function cached(id, payload, build) {
  if (payload !== undefined && payload !== null && !CACHE.has(id)) remember(id, build(payload));
  return CACHE.get(id);
}

const VIRIDIS = ["#440154", "#482777", "#3f4a8a", "#31678e", "#26838f", "#1f9d8a", "#6cce5a", "#b6de2b", "#fee825"];

function scaleColour(t) {
  const x = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(x), VIRIDIS.length - 2);
  const a = VIRIDIS[i], b = VIRIDIS[i + 1], f = x - i;
  const mix = (k) => Math.round(parseInt(a.slice(k, k + 2), 16) * (1 - f) + parseInt(b.slice(k, k + 2), 16) * f);
  return `rgb(${mix(1)},${mix(3)},${mix(5)})`;
}

function build(root) {
  // the root holds the component's <style>: add to it, never replace its content
  for (const old of root.querySelectorAll(".pm-wrap")) old.remove();
  const wrap = document.createElement("div");
  wrap.className = "pm-wrap";
  const bar = document.createElement("div");
  bar.className = "pm-bar";
  const canvas = document.createElement("canvas");
  canvas.className = "pm-canvas";
  const tip = document.createElement("div");
  tip.className = "pm-tip";
  const status = document.createElement("div");
  status.className = "pm-status";
  const legend = document.createElement("div");
  legend.className = "pm-legend";
  wrap.append(bar, canvas, tip, status, legend);
  root.append(wrap);
  const state = {
    wrap, bar, canvas, tip, status, legend, ctx: canvas.getContext("2d"),
    mode: "pan", view: null, yaw: 0.6, pitch: 0.4, screen: null, grid: null, renders: 0,
    drag: null, lasso: null, data: null, fitKey: null,
  };
  for (const [mode, label, title] of [["pan", "Pan", "drag to move, wheel to zoom"], ["box", "Box select", "drag a box to select"],
                                      ["lasso", "Lasso select", "draw around points to select"], ["rotate", "Rotate", "drag to turn a 3-D map"]]) {
    const button = document.createElement("button");
    button.textContent = label;
    button.title = title;
    button.dataset.mode = mode;
    button.onclick = () => { state.mode = mode; markMode(state); };
    bar.append(button);
  }
  const fit = document.createElement("button");
  fit.textContent = "Fit";
  fit.title = "show the bulk of the points (double-click the map does the same)";
  fit.onclick = () => { state.view = null; draw(state); };
  const clear = document.createElement("button");
  clear.textContent = "Clear selection";
  clear.className = "pm-clear";
  clear.onclick = () => state.send.state("selection", []);
  bar.append(fit, clear);
  markMode(state);
  wire(state);
  new ResizeObserver(() => draw(state)).observe(wrap);
  return state;
}

function markMode(state) {
  for (const button of state.bar.querySelectorAll("button[data-mode]")) {
    button.classList.toggle("pm-on", button.dataset.mode === state.mode);
  }
  state.canvas.style.cursor = state.mode === "pan" ? "grab" : state.mode === "rotate" ? "move" : "crosshair";
}

// -- geometry -------------------------------------------------------------------------------------

function project2(state) {
  // the points in map units (x, y): the map itself, or a 3-D map turned by yaw and pitch
  const d = state.data;
  const n = d.n, out = new Float32Array(n * 2), c = d.coords;
  if (d.dims === 2) {
    for (let i = 0; i < n; i++) { out[2 * i] = c[2 * i]; out[2 * i + 1] = c[2 * i + 1]; }
    return out;
  }
  const cy = Math.cos(state.yaw), sy = Math.sin(state.yaw), cp = Math.cos(state.pitch), sp = Math.sin(state.pitch);
  const m = d.center;
  for (let i = 0; i < n; i++) {
    const x = c[3 * i] - m[0], y = c[3 * i + 1] - m[1], z = c[3 * i + 2] - m[2];
    const x1 = cy * x + sy * z, z1 = -sy * x + cy * z;
    out[2 * i] = x1;
    out[2 * i + 1] = cp * y - sp * z1;
  }
  return out;
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * (sorted.length - 1))))];
}

function fitView(state, flat, width, height) {
  // the bulk of the points fills the frame: a few far outliers do not shrink the map
  const n = state.data.n, xs = new Float32Array(n), ys = new Float32Array(n);
  for (let i = 0; i < n; i++) { xs[i] = flat[2 * i]; ys[i] = flat[2 * i + 1]; }
  xs.sort(); ys.sort();
  const q = n >= 2000 ? 0.002 : 0;
  let x0 = quantile(xs, q), x1 = quantile(xs, 1 - q), y0 = quantile(ys, q), y1 = quantile(ys, 1 - q);
  if (x1 - x0 < 1e-9) { x0 -= 1; x1 += 1; }
  if (y1 - y0 < 1e-9) { y0 -= 1; y1 += 1; }
  const pad = 0.04, w = x1 - x0, h = y1 - y0;
  const scale = Math.min(width / (w * (1 + 2 * pad)), height / (h * (1 + 2 * pad)));
  return { scale, cx: (x0 + x1) / 2, cy: (y0 + y1) / 2 };
}

function toScreen(state, flat, width, height) {
  const v = state.view, n = state.data.n, s = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    s[2 * i] = width / 2 + (flat[2 * i] - v.cx) * v.scale;
    s[2 * i + 1] = height / 2 - (flat[2 * i + 1] - v.cy) * v.scale;
  }
  return s;
}

function buildGrid(screen, n, cell) {
  const grid = new Map();
  for (let i = 0; i < n; i++) {
    const key = Math.floor(screen[2 * i] / cell) * 100003 + Math.floor(screen[2 * i + 1] / cell);
    let bucket = grid.get(key);
    if (!bucket) { bucket = []; grid.set(key, bucket); }
    bucket.push(i);
  }
  return { grid, cell };
}

function nearest(state, x, y, radius) {
  const { grid, cell } = state.grid, s = state.screen;
  let best = -1, bestD = radius * radius;
  const gx = Math.floor(x / cell), gy = Math.floor(y / cell);
  for (let dx = -1; dx <= 1; dx++) {
    for (let dy = -1; dy <= 1; dy++) {
      const bucket = grid.get((gx + dx) * 100003 + gy + dy);
      if (!bucket) continue;
      for (const i of bucket) {
        const ex = s[2 * i] - x, ey = s[2 * i + 1] - y, dd = ex * ex + ey * ey;
        if (dd <= bestD) { bestD = dd; best = i; }
      }
    }
  }
  return best;
}

function inside(polygon, x, y) {
  let hit = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i], [xj, yj] = polygon[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

// -- drawing --------------------------------------------------------------------------------------

function rgb(colour) {
  // "#rrggbb" or "rgb(r,g,b)" -> [r, g, b]
  if (colour.startsWith("#")) return [1, 3, 5].map((k) => parseInt(colour.slice(k, k + 2), 16));
  return colour.replace(/[^0-9,]/g, "").split(",").map(Number);
}

function packed(r, g, b) {
  return (255 << 24) | (b << 16) | (g << 8) | r; // RGBA bytes in a little-endian Uint32
}

function pointColours(d, faded) {
  // a packed colour per point: its group's or its value's, faded towards white outside a focus
  const fade = (c) => (faded ? c.map((v) => Math.round(v + (255 - v) * 0.85)) : c);
  const out = new Uint32Array(d.n);
  if (d.values) {
    const lut = Array.from({ length: 256 }, (_, k) => packed(...fade(rgb(scaleColour(k / 255)))));
    const span = d.vmax - d.vmin || 1;
    for (let i = 0; i < d.n; i++) out[i] = lut[Math.max(0, Math.min(255, Math.round(((d.values[i] - d.vmin) / span) * 255)))];
    return out;
  }
  const palette = d.palette.map((c) => packed(...fade(rgb(c))));
  for (let i = 0; i < d.n; i++) out[i] = palette[d.codes ? d.codes[i] % palette.length : 0];
  return out;
}

function paintPoints(state, s, width, height, ratio, size) {
  // every point as a small square written straight into the pixel buffer (60,000 fillRect
  // calls cost ~100 ms in a software canvas; this costs a few)
  const d = state.data, ctx = state.ctx;
  const w = Math.round(width * ratio), h = Math.round(height * ratio);
  const image = ctx.createImageData(w, h);
  const pixels = new Uint32Array(image.data.buffer);
  pixels.fill(packed(255, 255, 255));
  const side = Math.max(1, Math.round(size * ratio)), half = Math.floor(side / 2);
  const put = (i, colour, grow) => {
    const x0 = Math.round(s[2 * i] * ratio) - half - grow, y0 = Math.round(s[2 * i + 1] * ratio) - half - grow;
    const x1 = Math.min(w, x0 + side + 2 * grow), y1 = Math.min(h, y0 + side + 2 * grow);
    for (let y = Math.max(0, y0); y < y1; y++) {
      const row = y * w;
      for (let x = Math.max(0, x0); x < x1; x++) pixels[row + x] = colour;
    }
  };
  const colours = pointColours(d, Boolean(d.focus));
  const order = d.order;
  for (let k = 0; k < d.n; k++) {
    const i = order ? order[k] : k;
    put(i, colours[i], 0);
  }
  if (d.focus) {
    const strong = pointColours(d, false);
    for (const i of d.focus) put(i, strong[i], 1);
  }
  ctx.putImageData(image, 0, 0);
}

function colourOf(d, i) {
  if (d.values) {
    const v = d.values[i];
    return scaleColour((v - d.vmin) / (d.vmax - d.vmin || 1));
  }
  return d.codes ? d.palette[d.codes[i] % d.palette.length] : d.palette[0];
}

function groupOrder(codes) {
  // point indices grouped by colour code, biggest group first (small groups are drawn on top);
  // a counting sort: linear in the number of points
  let top = 0;
  for (let i = 0; i < codes.length; i++) top = Math.max(top, codes[i]);
  const count = new Uint32Array(top + 1);
  for (let i = 0; i < codes.length; i++) count[codes[i]] += 1;
  const groups = Array.from(count.keys()).filter((c) => count[c] > 0).sort((a, b) => count[b] - count[a] || a - b);
  const start = new Uint32Array(top + 1);
  let at = 0;
  for (const c of groups) { start[c] = at; at += count[c]; }
  const order = new Uint32Array(codes.length);
  for (let i = 0; i < codes.length; i++) order[start[codes[i]]++] = i;
  return order;
}

function star(ctx, x, y, r) {
  ctx.beginPath();
  for (let k = 0; k < 10; k++) {
    const a = (Math.PI / 5) * k - Math.PI / 2, rr = k % 2 ? r * 0.45 : r;
    ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
  }
  ctx.closePath();
}

function draw(state) {
  const d = state.data;
  if (!d) return;
  const started = performance.now();
  const width = Math.max(200, state.wrap.clientWidth), height = d.height;
  const ratio = window.devicePixelRatio || 1;
  const canvas = state.canvas, ctx = state.ctx;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
  }
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const flat = project2(state);
  if (!state.view) state.view = fitView(state, flat, width, height);
  const s = toScreen(state, flat, width, height);
  state.screen = s;
  state.grid = buildGrid(s, d.n, 12);
  const size = d.n < 2000 ? 5 : d.n < 20000 ? 3 : 2;
  paintPoints(state, s, width, height, ratio, size);
  // selection: outlined
  if (d.selected && d.selected.length) {
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 1;
    for (const i of d.selected) ctx.strokeRect(s[2 * i] - size, s[2 * i + 1] - size, size * 2, size * 2);
  }
  // cluster labels at their centres
  if (d.labels) {
    ctx.font = "600 12px sans-serif";
    ctx.textAlign = "center";
    for (const label of d.labels) {
      let lx, ly;
      if (d.dims === 2) { lx = label.x; ly = label.y; } else {
        const cy = Math.cos(state.yaw), sy = Math.sin(state.yaw), cp = Math.cos(state.pitch), sp = Math.sin(state.pitch);
        const x = label.x - d.center[0], y = label.y - d.center[1], z = label.z - d.center[2];
        lx = cy * x + sy * z; ly = cp * y - sp * (-sy * x + cy * z);
      }
      const px = width / 2 + (lx - state.view.cx) * state.view.scale, py = height / 2 - (ly - state.view.cy) * state.view.scale;
      ctx.lineWidth = 4;
      ctx.strokeStyle = "rgba(255,255,255,0.9)";
      ctx.strokeText(label.text, px, py);
      ctx.fillStyle = "#222";
      ctx.fillText(label.text, px, py);
    }
  }
  // neighbours of the picked point: lines and rings
  if (d.picked !== null && d.picked !== undefined && d.picked < d.n) {
    const p = d.picked;
    ctx.strokeStyle = "rgba(230,120,0,0.7)";
    ctx.lineWidth = 1;
    for (const i of d.neighbours || []) {
      ctx.beginPath(); ctx.moveTo(s[2 * p], s[2 * p + 1]); ctx.lineTo(s[2 * i], s[2 * i + 1]); ctx.stroke();
    }
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#e67800";
    for (const i of d.neighbours || []) { ctx.beginPath(); ctx.arc(s[2 * i], s[2 * i + 1], 6, 0, 2 * Math.PI); ctx.stroke(); }
    ctx.strokeStyle = "#d62728";
    ctx.lineWidth = 3;
    ctx.beginPath(); ctx.arc(s[2 * p], s[2 * p + 1], 9, 0, 2 * Math.PI); ctx.stroke();
  }
  // search hits: stars
  if (d.hits && d.hits.length) {
    ctx.fillStyle = "#000";
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 1;
    for (const i of d.hits) { star(ctx, s[2 * i], s[2 * i + 1], 8); ctx.fill(); ctx.stroke(); }
  }
  // a lasso or box being drawn
  if (state.lasso && state.lasso.length > 1) {
    ctx.strokeStyle = "#1f77b4"; ctx.lineWidth = 1.5; ctx.setLineDash([4, 3]);
    ctx.beginPath();
    state.lasso.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    if (state.mode === "lasso") ctx.closePath();
    ctx.stroke(); ctx.setLineDash([]);
  }
  let outside = 0;
  for (let i = 0; i < d.n; i++) {
    if (s[2 * i] < 0 || s[2 * i] > width || s[2 * i + 1] < 0 || s[2 * i + 1] > height) outside++;
  }
  const chosen = d.selected ? d.selected.length : 0;
  state.status.textContent = `${d.n.toLocaleString()} points` + (chosen ? ` · ${chosen.toLocaleString()} selected` : "")
    + (outside ? ` · ${outside.toLocaleString()} outside the view (Fit or zoom out)` : "")
    + (d.caption ? ` · ${d.caption}` : "");
  state.renders += 1;
  // where point i is drawn, in CSS pixels from the canvas's corner (for tests and tools)
  canvas.pointAt = (i) => [state.screen[2 * i], state.screen[2 * i + 1]];
  canvas.dataset.renders = String(state.renders);
  canvas.dataset.token = d.token;
  canvas.dataset.ms = (performance.now() - started).toFixed(1);
}

function drawLegend(state) {
  const d = state.data, legend = state.legend;
  legend.textContent = "";
  if (!d.legend || !d.legend.length) return;
  const title = document.createElement("div");
  title.className = "pm-legend-title";
  title.textContent = d.legendTitle || "";
  legend.append(title);
  for (const [name, colour, count] of d.legend) {
    const row = document.createElement("span");
    row.className = "pm-legend-item";
    const swatch = document.createElement("i");
    swatch.style.background = colour;
    const text = document.createElement("span");
    text.textContent = `${name} (${count.toLocaleString()})`;
    row.append(swatch, text);
    legend.append(row);
  }
}

// -- events ---------------------------------------------------------------------------------------

function position(state, event) {
  const box = state.canvas.getBoundingClientRect();
  return [event.clientX - box.left, event.clientY - box.top];
}

function wire(state) {
  const canvas = state.canvas;
  canvas.addEventListener("wheel", (event) => {
    if (!state.view) return;
    event.preventDefault();
    const [x, y] = position(state, event);
    const width = canvas.clientWidth, height = canvas.clientHeight, v = state.view;
    const factor = Math.exp(-event.deltaY * 0.0015);
    const mx = v.cx + (x - width / 2) / v.scale, my = v.cy - (y - height / 2) / v.scale;
    v.scale *= factor;
    v.cx = mx - (x - width / 2) / v.scale;
    v.cy = my + (y - height / 2) / v.scale;
    draw(state);
  }, { passive: false });
  canvas.addEventListener("dblclick", () => { state.view = null; draw(state); });
  canvas.addEventListener("mousedown", (event) => {
    const [x, y] = position(state, event);
    state.drag = { x, y, moved: false, view: state.view ? { ...state.view } : null, yaw: state.yaw, pitch: state.pitch };
    if (state.mode === "box" || state.mode === "lasso") state.lasso = [[x, y]];
  });
  window.addEventListener("mousemove", (event) => {
    if (!state.data) return;
    const [x, y] = position(state, event);
    const drag = state.drag;
    if (drag) {
      if (Math.abs(x - drag.x) + Math.abs(y - drag.y) > 3) drag.moved = true;
      if (!drag.moved) return;
      if (state.mode === "pan" && drag.view) {
        state.view.cx = drag.view.cx - (x - drag.x) / drag.view.scale;
        state.view.cy = drag.view.cy + (y - drag.y) / drag.view.scale;
        draw(state);
      } else if (state.mode === "rotate" && state.data.dims === 3) {
        state.yaw = drag.yaw + (x - drag.x) * 0.01;
        state.pitch = Math.max(-1.5, Math.min(1.5, drag.pitch + (y - drag.y) * 0.01));
        draw(state);
      } else if (state.mode === "box") {
        const [x0, y0] = state.lasso[0];
        state.lasso = [[x0, y0], [x, y0], [x, y], [x0, y], [x0, y0]];
        draw(state);
      } else if (state.mode === "lasso") {
        state.lasso.push([x, y]);
        draw(state);
      }
      return;
    }
    if (event.target !== canvas || !state.grid) { state.tip.style.display = "none"; return; }
    const i = nearest(state, x, y, 10);
    if (i < 0 || !state.data.hover) { state.tip.style.display = "none"; return; }
    state.tip.textContent = state.data.hover[i];
    state.tip.style.display = "block";
    const box = state.wrap.getBoundingClientRect(), cbox = canvas.getBoundingClientRect();
    state.tip.style.left = `${Math.min(cbox.left - box.left + x + 14, box.width - 320)}px`;
    state.tip.style.top = `${cbox.top - box.top + y + 14}px`;
  });
  window.addEventListener("mouseup", (event) => {
    const drag = state.drag;
    state.drag = null;
    if (!drag || !state.data) return;
    const [x, y] = position(state, event);
    if (!drag.moved) {
      state.lasso = null;
      const i = nearest(state, x, y, 10);
      if (i >= 0) state.send.trigger("picked", i);
      return;
    }
    if ((state.mode === "box" || state.mode === "lasso") && state.lasso && state.lasso.length > 2) {
      const polygon = state.lasso, s = state.screen, chosen = [];
      let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      for (const [px, py] of polygon) { x0 = Math.min(x0, px); x1 = Math.max(x1, px); y0 = Math.min(y0, py); y1 = Math.max(y1, py); }
      for (let i = 0; i < state.data.n; i++) {
        const px = s[2 * i], py = s[2 * i + 1];
        if (px < x0 || px > x1 || py < y0 || py > y1) continue;
        if (state.mode === "box" || inside(polygon, px, py)) chosen.push(i);
      }
      state.lasso = null;
      draw(state);
      state.send.state("selection", chosen);
    }
  });
  canvas.addEventListener("mouseleave", () => { state.tip.style.display = "none"; });
}

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  let state = MAPS.get(parentElement);
  if (!state) {
    state = build(parentElement);
    MAPS.set(parentElement, state);
  }
  state.send = { state: setStateValue, trigger: setTriggerValue };
  if (!data) return;
  const coords = cached(data.coords_id, data.coords, (b64) => decode(b64, "f4"));
  const hover = cached(data.hover_id, data.hover, (texts) => texts);
  const codes = data.codes_id ? cached(data.codes_id, data.codes, (b64) => decode(b64, "u2")) : null;
  const values = data.values_id ? cached(data.values_id, data.values, (b64) => decode(b64, "f4")) : null;
  const missing = [data.coords_id, data.hover_id, data.codes_id, data.values_id].filter((id) => id && !CACHE.has(id));
  if (!coords || missing.length) {
    // this page lost (or never had) an array Python thinks it has: ask for it again, once per gap
    const ask = JSON.stringify(missing) + data.token;
    if (state.asked !== ask) {
      state.asked = ask;
      state.asks = (state.asks || 0) + 1;
      setStateValue("need", { ids: missing, n: `${Date.now()}-${state.asks}` });
    }
    return;
  }
  state.asked = null;
  const n = data.n, dims = data.dims;
  let center = [0, 0, 0];
  if (dims === 3) {
    for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) center[k] += coords[3 * i + k] / n;
  }
  let order = null;
  if (codes) order = cached(`${data.codes_id}:order`, codes, groupOrder);
  let vmin = Infinity, vmax = -Infinity;
  if (values) for (let i = 0; i < n; i++) { vmin = Math.min(vmin, values[i]); vmax = Math.max(vmax, values[i]); }
  const fitKey = `${data.coords_id}:${dims}`;
  if (state.fitKey !== fitKey) { state.view = null; state.fitKey = fitKey; }
  state.data = {
    n, dims, coords, hover, codes, values, vmin, vmax, order, center, palette: data.palette || ["#1f77b4"],
    hits: data.hits || [], picked: data.picked, neighbours: data.neighbours || [], selected: data.selected || [],
    focus: data.focus || null, labels: data.labels || null, legend: data.legend || [], legendTitle: data.legend_title || "",
    caption: data.caption || "", height: data.height || 640, token: data.token || "",
  };
  state.bar.querySelector('button[data-mode="rotate"]').style.display = dims === 3 ? "" : "none";
  state.bar.querySelector(".pm-clear").style.display = state.data.selected.length ? "" : "none";
  drawLegend(state);
  draw(state);
}
