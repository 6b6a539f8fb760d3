"""The interest graph: one pyvis page per session (vis-network loaded once from static) that draws each
step's nodes and edges in place, at positions fixed per trace.

No Streamlit here. A step's nodes and edges reach the page as JSON data (never as markup) and go into
vis DataSets; vis-network draws labels on a canvas and shows string tooltips as plain text (since 9.0),
so names from data are passed as they are: escaping them again would show entities.
"""

from __future__ import annotations

import functools
import re
import shutil
from importlib import resources
from pathlib import Path

import networkx as nx
import pandas as pd
from pyvis.network import Network

STATIC = Path(__file__).resolve().parent / "static"
VIS_JS, VIS_CSS = "vis-network.min.js", "vis-network.css"
STATIC_URL = "/app/static"  # where Streamlit serves dashboard/static/ (server.enableStaticServing)
# Okabe-Ito: colour-blind safe; the 8 heaviest categories get one each, every other category grey
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
OTHER = "#BBBBBB"
HIGHLIGHT = "#FF2D55"


def install_static() -> Path:
    """Copy pyvis' vis-network script and style into ``dashboard/static`` (once), served by Streamlit."""
    STATIC.mkdir(exist_ok=True)
    source = resources.files("pyvis") / "lib" / "vis-9.1.2"
    for name in (VIS_JS, VIS_CSS):
        target = STATIC / name
        if not target.exists():
            with resources.as_file(source / name) as path:
                shutil.copyfile(path, target)
    return STATIC


def layout(
    nodes: pd.DataFrame, edges: pd.DataFrame, seed: int = 0, scale: float = 600.0
) -> dict[str, tuple[float, float]]:
    """Positions of every node of a trace, computed once over the union of its nodes and edges."""
    graph = nx.Graph()
    graph.add_nodes_from(nodes["node"])
    for source, target, weight in zip(
        edges["source"], edges["target"], edges["weight"].fillna(1.0), strict=True
    ):
        graph.add_edge(
            source, target, weight=0.2 + min(float(weight), 10.0) / 10.0
        )  # strong edges pull, not crush
    # a hidden hub tied to every category keeps unlinked parts of the graph near each other
    hub = "__hub__"
    for node in nodes.loc[nodes["kind"] == "category", "node"]:
        graph.add_edge(hub, node, weight=0.5)
    # Kamada-Kawai spreads nodes by graph distance (clusters stay legible); spring refines it a little
    start = nx.kamada_kawai_layout(graph, weight=None)
    pos = nx.spring_layout(
        graph, pos=start, seed=seed, weight="weight", iterations=30, k=3.0 / max(len(graph), 1) ** 0.5
    )
    pos.pop(hub, None)
    return {node: (float(x) * scale, float(y) * scale) for node, (x, y) in pos.items()}


def category_colours(weights: pd.Series) -> dict[str, str]:
    """Category -> colour: the 8 heaviest categories (by interest) in the palette, others grey."""
    top = weights.sort_values(ascending=False).index[: len(PALETTE)]
    return {str(c): PALETTE[i] for i, c in enumerate(top)}


def step_graph(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    positions: dict[str, tuple[float, float]],
    colours: dict[str, str],
) -> dict[str, list[dict[str, object]]]:
    """vis-network node and edge objects of a :class:`GraphView`'s tables (nodes: node, label, kind,
    category, weight, new; edges: source, target, weight, alpha, new), nodes at their fixed ``positions``.
    Every object carries every attribute, so an update in place replaces the previous step's look."""
    top = float(nodes["weight"].max()) if len(nodes) and nodes["weight"].max() > 0 else 1.0
    out_nodes: list[dict[str, object]] = []
    columns = ("node", "label", "kind", "category", "weight", "new")
    for node, label, kind, category, weight, new in zip(*(nodes[c].tolist() for c in columns), strict=True):
        x, y = positions.get(node, (0.0, 0.0))
        colour = colours.get(str(category), OTHER)
        out_nodes.append(
            {
                "id": node,
                "label": _short(str(label)) if kind != "neighbour" else " ",
                "title": f"{label}\n{kind} · {category}\ninterest {float(weight):.3g}",
                "x": x,
                "y": y,
                "size": 8 + 30 * (float(weight) / top) ** 0.5,
                "shape": "box" if kind == "category" else "dot",
                "physics": False,
                "color": {"background": colour, "border": HIGHLIGHT if new else colour},
                "borderWidth": 4 if new else 1,
                "opacity": 0.45 if kind == "neighbour" else 1.0,
                "font": {"size": 12 if kind != "neighbour" else 9},
            }
        )
    out_edges: list[dict[str, object]] = []
    edge_columns = ("source", "target", "weight", "alpha", "new")
    for source, target, raw_weight, raw_alpha, new in zip(
        *(edges[c].tolist() for c in edge_columns), strict=True
    ):
        weight = 1.0 if pd.isna(raw_weight) else float(raw_weight)
        alpha = "not kept by the encoder" if pd.isna(raw_alpha) else f"{float(raw_alpha):.3f}"
        out_edges.append(
            {
                "id": f"{source}\u2192{target}",
                "from": source,
                "to": target,
                "width": 0.5 + min(weight, 12.0) / 2.0,
                "title": f"weight {weight:.3g} · attention α {alpha}",
                "color": HIGHLIGHT if new else "#9AA5B1",
                "arrows": {"to": {"enabled": True, "scaleFactor": 0.4}},
            }
        )
    return {"nodes": out_nodes, "edges": out_edges}


@functools.cache
def graph_page(height: int = 520) -> str:
    """The graph's HTML page: an empty vis-network (physics off) and :data:`RECEIVER`, which draws each
    step's nodes and edges in place. The page is the same for every step and trace, so Streamlit never
    reloads the iframe: a step only updates vis DataSets (no new document, no vis re-initialisation)."""
    net = Network(height=f"{height}px", width="100%", directed=True, cdn_resources="remote")
    net.toggle_physics(False)
    net.set_options('{"interaction": {"hover": true, "tooltipDelay": 80}, "physics": {"enabled": false}}')
    page = _local_scripts(net.generate_html(notebook=False))
    return page.replace("</body>", f"<script>{RECEIVER}</script>\n</body>", 1)


# Runs inside the graph iframe (same origin as the page: st.iframe allows same-origin scripts). The step
# bridge (dashboard/step_bridge.js) calls ``replayGraph.show(payload)`` on every step; a page loaded later
# takes the latest payload from its parent. Node and edge objects go to vis DataSets as data: labels are
# drawn on the canvas and string tooltips shown as text, so names from data are never parsed as HTML.
RECEIVER = """
(function () {
  var shownTrace = null, moved = false;
  function stale(set, items) {
    var keep = new Set(items.map(function (d) { return d.id; }));
    return set.getIds().filter(function (id) { return !keep.has(id); });
  }
  network.on('zoom', function () { moved = true; });
  network.on('dragEnd', function (e) { if (!e.nodes.length) moved = true; });
  window.replayGraph = {
    show: function (p) {
      if (!p) return;
      edges.remove(stale(edges, p.edges));  // first, so no edge is left on a node that goes
      nodes.remove(stale(nodes, p.nodes));
      nodes.update(p.nodes);
      edges.update(p.edges);
      if (p.trace !== shownTrace) { shownTrace = p.trace; moved = false; }
      // the step's nodes fill the view (positions stay fixed) until the visitor zooms or pans
      if (!moved) network.fit({animation: false});
      network.once('afterDrawing', function () { window.drawnStep = p.step; window.drawnTrace = p.trace; });
      network.redraw();
    }
  };
  try {
    var latest = window.parent && window.parent.__replayStep;
    if (latest && latest.graph) window.replayGraph.show(latest.graph);
  } catch (e) { /* another origin: the bridge pushes the next step */ }
})();
"""


def _short(label: str, limit: int = 24) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _local_scripts(page: str) -> str:
    """Swap the CDN tags (unreachable offline) for the copies Streamlit serves from static/."""
    page = re.sub(
        r"<link[^>]+vis-network[^>]+/>", f'<link rel="stylesheet" href="{STATIC_URL}/{VIS_CSS}" />', page
    )
    page = re.sub(
        r"<script[^>]+vis-network[^>]*></script>", f'<script src="{STATIC_URL}/{VIS_JS}"></script>', page
    )
    page = re.sub(r'<link\s+href="https://cdn\.jsdelivr\.net[^>]*/>', "", page, flags=re.S)
    page = re.sub(r'<script\s+src="https://cdn\.jsdelivr\.net[^>]*>\s*</script>', "", page, flags=re.S)
    return page.replace("<h1></h1>", "")
