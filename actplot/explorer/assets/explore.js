// actplot explore: switches between curves that actplot computed (no math here but drawing).
// Data: one entry per function, one variant per combination of swept values, each with its
// curves (16-bit codes of each curve's own range), markers, breaks, formula and properties.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("actplot-data").textContent);
  const LABELS = ["f(x)", "f\u2032(x)", "f\u2033(x)", "f\u2034(x)"];
  const NAMES = ["function", "first derivative", "second derivative", "third derivative"];
  const NAN_CODE = 65535, LEVELS = 65534;
  const byName = new Map(data.functions.map((f, i) => [f.name, i]));
  const state = {
    fn: 0,
    steps: data.functions.map((f) => f.params.map((p) => defaultStep(f, p))),
    orders: Array.from({length: data.order + 1}, () => true),
    overlay: false,
    together: new Set([0]),
  };
  const drawn = [];  // per order: the polylines drawn, in data coordinates, for checking
  const cache = new Map();

  function defaultStep(f, p) {
    return p.start;  // the parameter's default, where it is one of the values
  }

  function bytes(text) {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }

  function variantIndex(fnIndex) {
    const f = data.functions[fnIndex];
    let index = 0;
    f.params.forEach((p, k) => { index = index * p.values.length + state.steps[fnIndex][k]; });
    return index;
  }

  function decoded(fnIndex) {
    const key = fnIndex + ":" + variantIndex(fnIndex);
    if (cache.has(key)) return cache.get(key);
    const variant = data.functions[fnIndex].variants[variantIndex(fnIndex)];
    let x;
    if (variant.x) {
      x = Float64Array.from(new Float32Array(bytes(variant.x).buffer));
    } else {
      const [lo, hi] = data.range, n = data.points;
      x = Float64Array.from({length: n}, (_, i) => lo + (hi - lo) * i / (n - 1));
    }
    const curves = variant.curves.map((c) => {
      if (!c) return null;
      const codes = new Uint16Array(bytes(c.q).buffer);
      const y = new Float64Array(codes.length);
      for (let i = 0; i < codes.length; i++) {
        y[i] = codes[i] === NAN_CODE ? NaN : c.lo + (c.hi - c.lo) * codes[i] / LEVELS;
      }
      return y;
    });
    const value = {variant, x, curves};
    cache.set(key, value);
    return value;
  }

  function el(tag, attributes, text) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function show(value) {
    if (typeof value !== "number") return String(value);
    return Number(value.toPrecision(4)).toString();
  }

  function colour(k) {
    return getComputedStyle(document.documentElement).getPropertyValue("--c" + (k % 8)).trim();
  }

  // ---- controls ----------------------------------------------------------------------------

  const picker = document.getElementById("function");
  data.functions.forEach((f, i) => picker.appendChild(el("option", {value: String(i)}, f.label)));
  picker.addEventListener("change", () => { pick(Number(picker.value)); });

  function buildSliders() {
    const box = document.getElementById("sliders");
    box.textContent = "";
    const f = data.functions[state.fn];
    f.params.forEach((p, k) => {
      const label = el("label", {}, p.symbol + " ");
      let input;
      if (p.choice) {
        input = el("select", {"aria-label": p.name, "data-param": p.name});
        p.values.forEach((v, i) => input.appendChild(el("option", {value: String(i)}, show(v))));
        input.value = String(state.steps[state.fn][k]);
      } else {
        input = el("input", {type: "range", min: "0", max: String(p.values.length - 1),
          step: "1", value: String(state.steps[state.fn][k]), "aria-label": p.name,
          "data-param": p.name});
      }
      const out = el("output", {}, "= " + show(p.values[state.steps[state.fn][k]]));
      input.addEventListener("input", () => {
        state.steps[state.fn][k] = Number(input.value);
        out.textContent = "= " + show(p.values[state.steps[state.fn][k]]);
        draw();
      });
      label.appendChild(input);
      label.appendChild(out);
      box.appendChild(label);
    });
  }

  const orderBox = document.getElementById("orders");
  state.orders.forEach((on, k) => {
    const box = el("input", {type: "checkbox", "data-order": String(k)});
    box.checked = on;
    box.addEventListener("change", () => { state.orders[k] = box.checked; draw(); });
    const label = el("label", {}, "");
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + LABELS[k]));
    orderBox.appendChild(label);
  });

  const overlayBox = document.getElementById("overlay");
  const together = document.getElementById("overlay-picker");
  data.functions.forEach((f, i) => {
    const box = el("input", {type: "checkbox", "data-function": f.name});
    box.checked = i === 0;
    box.addEventListener("change", () => {
      if (box.checked) state.together.add(i); else state.together.delete(i);
      draw();
    });
    const label = el("label", {}, "");
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + f.label));
    label.style.borderBottom = "3px solid var(--c" + (i % 8) + ")";  // its colour in overlay
    together.appendChild(label);
  });
  overlayBox.addEventListener("change", () => {
    state.overlay = overlayBox.checked;
    together.hidden = !state.overlay;
    draw();
  });

  function pick(index) {
    state.fn = index;
    picker.value = String(index);
    state.together.add(index);
    const box = together.querySelector('[data-function="' + CSS.escape(data.functions[index].name) + '"]');
    if (box) box.checked = true;
    buildSliders();
    draw();
  }

  // ---- drawing -----------------------------------------------------------------------------

  function niceTicks(lo, hi, count) {
    const raw = (hi - lo) / Math.max(count, 1);
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) || 10 * power;
    const ticks = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
      ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    }
    return ticks;
  }

  function shown() {
    return state.overlay ? Array.from(state.together).sort((a, b) => a - b) : [state.fn];
  }

  function limitsOf(order, indices) {
    let lo = Infinity, hi = -Infinity;
    indices.forEach((i) => {
      const l = data.functions[i].limits[order];
      if (l) { lo = Math.min(lo, l[0]); hi = Math.max(hi, l[1]); }
    });
    return isFinite(lo) ? [lo, hi] : [-1, 1];
  }

  function draw() {
    const panels = document.getElementById("panels");
    panels.textContent = "";
    drawn.length = 0;
    const indices = shown();
    const canvases = [];
    state.orders.forEach((on, order) => {  // every panel placed first, so each has its width
      if (!on) return;
      const figure = el("figure", {"data-order": String(order)});
      figure.appendChild(el("figcaption", {}, NAMES[order] + ": " + LABELS[order]));
      const canvas = el("canvas", {"aria-label": LABELS[order]});
      figure.appendChild(canvas);
      panels.appendChild(figure);
      canvases.push([order, canvas]);
    });
    canvases.forEach(([order, canvas]) => {
      drawn[order] = drawPanel(canvas, order, indices);
      canvas.addEventListener("mousemove", (event) => {
        const box = canvas.getBoundingClientRect();
        const frame = canvas.frame;
        const x = frame.x0 + (event.clientX - box.left - frame.left) / frame.width * (frame.x1 - frame.x0);
        readout(x);
      });
    });
    const current = decoded(state.fn).variant;
    document.getElementById("formula").innerHTML =
      "<span>f(x) =</span>" + data.formulas[current.formula];  // actplot's own SVG paths
    const info = document.querySelector("#info tbody");
    info.textContent = "";
    current.info.forEach(([label, value]) => {
      const row = el("tr", {});
      row.appendChild(el("td", {}, label));
      row.appendChild(el("td", {}, value));
      info.appendChild(row);
    });
    if (location.hash.slice(1) !== data.functions[state.fn].name) {
      history.replaceState(null, "", "#" + encodeURIComponent(data.functions[state.fn].name));
    }
  }

  function drawPanel(canvas, order, indices) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 400, height = canvas.clientHeight || 280;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext("2d");
    g.scale(ratio, ratio);
    const [x0, x1] = data.range;
    const [y0, y1] = limitsOf(order, indices);
    const frame = {left: 52, top: 8, width: width - 60, height: height - 34, x0, x1, y0, y1};
    canvas.frame = frame;
    const px = (x) => frame.left + (x - x0) / (x1 - x0) * frame.width;
    const py = (y) => frame.top + (y1 - y) / (y1 - y0) * frame.height;
    const style = getComputedStyle(document.documentElement);
    g.font = "12px sans-serif";
    g.lineWidth = 1;
    g.fillStyle = style.getPropertyValue("--fg");
    niceTicks(x0, x1, Math.max(2, Math.floor(frame.width / 70))).forEach((t) => {
      g.strokeStyle = style.getPropertyValue("--grid");
      g.beginPath(); g.moveTo(px(t), frame.top); g.lineTo(px(t), frame.top + frame.height); g.stroke();
      g.textAlign = "center";
      g.fillText(show(t), px(t), frame.top + frame.height + 16);
    });
    niceTicks(y0, y1, Math.max(2, Math.floor(frame.height / 45))).forEach((t) => {
      g.strokeStyle = style.getPropertyValue("--grid");
      g.beginPath(); g.moveTo(frame.left, py(t)); g.lineTo(frame.left + frame.width, py(t)); g.stroke();
      g.textAlign = "right";
      g.fillText(show(t), frame.left - 6, py(t) + 4);
    });
    g.strokeStyle = style.getPropertyValue("--axis");
    if (y0 < 0 && y1 > 0) { g.beginPath(); g.moveTo(frame.left, py(0)); g.lineTo(frame.left + frame.width, py(0)); g.stroke(); }
    if (x0 < 0 && x1 > 0) { g.beginPath(); g.moveTo(px(0), frame.top); g.lineTo(px(0), frame.top + frame.height); g.stroke(); }
    g.save();
    g.beginPath();
    g.rect(frame.left, frame.top, frame.width, frame.height);
    g.clip();
    const lines = [];
    indices.forEach((fnIndex) => {
      const {variant, x, curves} = decoded(fnIndex);
      const y = curves[order];
      if (!y) return;
      const breaks = variant.breaks[order];
      const near = 1e-6 * (x1 - x0);  // x is float32: a sample at a break is the break
      g.strokeStyle = colour(state.overlay ? fnIndex : order);
      g.lineWidth = 2;
      let line = [];
      const finish = () => { if (line.length) lines.push({fn: data.functions[fnIndex].name, points: line}); line = []; };
      g.beginPath();
      for (let i = 0; i < x.length; i++) {
        const at = breaks.some((b) => Math.abs(x[i] - b) <= near);
        const broken = at || !isFinite(y[i]) ||
          (i > 0 && breaks.some((b) => x[i - 1] + near < b && b < x[i] - near));
        if (broken) { finish(); if (at || !isFinite(y[i])) continue; }
        const cx = px(x[i]), cy = py(y[i]);
        if (line.length === 0) g.moveTo(cx, cy); else g.lineTo(cx, cy);
        line.push([cx, cy]);
      }
      finish();
      g.stroke();
    });
    g.restore();
    indices.forEach((fnIndex) => {
      const {variant} = decoded(fnIndex);
      (variant.marks[order] || []).forEach(([mx, my, filled]) => {
        if (mx === null || my === null || my < y0 || my > y1) return;
        g.beginPath();
        g.arc(px(mx), py(my), filled ? 3.5 : 4.5, 0, 2 * Math.PI);
        g.fillStyle = filled ? style.getPropertyValue("--fg") : style.getPropertyValue("--bg");
        g.fill();
        g.lineWidth = 1.5;
        g.strokeStyle = state.overlay ? colour(fnIndex) : style.getPropertyValue("--fg");
        g.stroke();
      });
    });
    // what was drawn, back in data coordinates through the same frame
    return lines.map(({fn, points}) => ({fn, points: points.map(([cx, cy]) => [
      x0 + (cx - frame.left) / frame.width * (x1 - x0),
      y1 - (cy - frame.top) / frame.height * (y1 - y0)])}));
  }

  function valueAt(x, xs, ys) {
    if (!ys || x < xs[0] || x > xs[xs.length - 1]) return NaN;
    let lo = 0, hi = xs.length - 1;
    while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (xs[mid] <= x) lo = mid; else hi = mid; }
    if (xs[hi] === xs[lo]) return ys[lo];
    const t = (x - xs[lo]) / (xs[hi] - xs[lo]);
    return ys[lo] + (ys[hi] - ys[lo]) * t;
  }

  function readout(x) {
    const {x: xs, curves} = decoded(state.fn);
    const parts = ["x = " + show(x)];
    const values = {x};
    curves.forEach((y, order) => {
      const v = valueAt(x, xs, y);
      values[order] = v;
      parts.push(LABELS[order] + " = " + (isFinite(v) ? show(v) : "\u2013"));
    });
    document.getElementById("readout").textContent = parts.join("    ");
    return values;
  }

  // what the page's tests (and a curious reader's console) can ask
  window.actplotExplore = {
    pick: (name) => pick(byName.get(name)),
    drawn: (order) => drawn[order] || [],
    limits: (order) => limitsOf(order, shown()),
    readout,
    state: () => ({fn: data.functions[state.fn].name, steps: state.steps[state.fn].slice(),
      orders: state.orders.slice(), overlay: state.overlay}),
  };

  window.addEventListener("resize", draw);
  const start = byName.get(decodeURIComponent(location.hash.slice(1)));
  pick(start === undefined ? 0 : start);
  document.documentElement.setAttribute("data-ready", "1");
})();
