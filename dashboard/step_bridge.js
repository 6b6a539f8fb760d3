// The Replay step bridge: runs in the app page on every step with the step's payload
// {stamp, step, graph, charts}. It moves what follows the step in place instead of redrawing it:
//   - the graph iframe (dashboard/graph_html.py RECEIVER): replayGraph.show(graph) updates vis DataSets;
//   - each plotly chart (found by its Streamlit key) gets a thin SVG layer over its plot area with the
//     step line, or on the trajectory the path so far, the last steps and the current state. The charts
//     themselves are never touched (no relayout, no redraw); the layer follows zoom and resize.
// Data only: text from data goes in with textContent, never as markup.
const NS = "http://www.w3.org/2000/svg";
const INK = "#222222";
const MODEL = "#5B4FE9";
const STAR = "#FF2D55";

function chartOf(key) {
  const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const fl = gd && gd._fullLayout;
  return fl && fl.xaxis && fl.yaxis && gd.querySelector(".svg-container") ? gd : null;
}

function el(name, attrs, parent) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  parent.appendChild(node);
  return node;
}

function layerOf(gd) {
  // a fresh layer per draw: plotly may have rebuilt its container since the last one
  const box = gd.querySelector(".svg-container");
  let layer = box.querySelector(":scope > svg.replay-step");
  if (!layer) {
    layer = el("svg", { class: "replay-step" }, box);
    layer.style.cssText = "position:absolute;left:0;top:0;pointer-events:none;overflow:visible";
  }
  layer.replaceChildren();
  const fl = gd._fullLayout;
  layer.setAttribute("width", fl.width);
  layer.setAttribute("height", fl.height);
  const xa = fl.xaxis;
  const ya = fl.yaxis;
  // the plot area, clipped: coordinates inside are axis pixels (l2p)
  return el("svg", { x: xa._offset, y: ya._offset, width: xa._length, height: ya._length }, layer);
}

function star(cx, cy, r) {
  const points = [];
  for (let i = 0; i < 10; i += 1) {
    const a = (Math.PI / 5) * i - Math.PI / 2;
    const d = i % 2 ? r * 0.45 : r;
    points.push(`${(cx + d * Math.cos(a)).toFixed(1)},${(cy + d * Math.sin(a)).toFixed(1)}`);
  }
  return points.join(" ");
}

function drawMark(gd, mark) {
  const fl = gd._fullLayout;
  const px = (v) => fl.xaxis.l2p(v);
  const py = (v) => fl.yaxis.l2p(v);
  const plot = layerOf(gd);
  if (mark.x !== undefined) {
    const x = px(mark.x);
    const span = { x1: x, x2: x, y1: 0, y2: fl.yaxis._length };
    el("line", { ...span, stroke: "#FFFFFF", "stroke-width": 3.5, opacity: 0.8 }, plot); // seen on dark cells
    el("line", { ...span, stroke: INK, "stroke-width": 1.5 }, plot);
  }
  if (mark.path) {
    const line = (pts) => pts.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(" ");
    const common = { fill: "none", stroke: MODEL };
    el("polyline", { ...common, points: line(mark.path), "stroke-width": 0.6, opacity: 0.25 }, plot);
    el("polyline", { ...common, points: line(mark.recent), "stroke-width": 1.5 }, plot);
    for (const p of mark.recent) {
      const dot = el("circle", { cx: px(p[0]), cy: py(p[1]), r: 2.5, fill: MODEL }, plot);
      dot.style.pointerEvents = "all";
      el("title", {}, dot).textContent = p[2]; // step, event and item: text, never markup
    }
    if (mark.now) {
      const points = star(px(mark.now[0]), py(mark.now[1]), 9);
      el("polygon", { class: "replay-now", points, fill: STAR, stroke: INK }, plot);
    }
  }
  gd.__replayDrawn = mark;
}

function markCharts(payload, tries) {
  if (window.__replayStep !== payload) return; // a newer step took over
  let missing = 0;
  for (const [key, mark] of Object.entries(payload.charts || {})) {
    const gd = chartOf(key);
    if (!gd) {
      missing += 1;
      continue;
    }
    if (!gd.__replayHooked && gd.on) {
      // zoom, pan, resize or a redraw of the chart: draw the latest step again on the new axes
      gd.__replayHooked = true;
      const again = () => {
        const latest = window.__replayStep;
        const m = latest && latest.charts && latest.charts[key];
        if (m) drawMark(gd, m);
      };
      gd.on("plotly_afterplot", again);
      gd.on("plotly_relayout", again);
    }
    drawMark(gd, mark);
  }
  if (missing && tries < 100) {
    setTimeout(() => markCharts(payload, tries + 1), 100); // charts not drawn yet (first load)
  } else if (!missing) {
    window.__replayMarked = payload.stamp;
  }
}

function pushGraph(payload) {
  for (const frame of document.querySelectorAll("iframe")) {
    let graph = null;
    try {
      graph = frame.contentWindow && frame.contentWindow.replayGraph;
    } catch (e) {
      continue; // another origin
    }
    if (graph) graph.show(payload.graph);
  }
}

export default function (component) {
  const payload = component.data;
  if (!payload) return;
  window.__replayStep = payload; // a graph page that loads later takes it from here
  pushGraph(payload);
  markCharts(payload, 0);
}
