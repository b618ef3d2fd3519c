"""A drawing of a model's graph: inputs, branches, merges, heads, with the flagged layers marked.

``model_boxes`` decides what is drawn (pure, no matplotlib): each nested model and each recognized
``keras.applications`` backbone becomes one box named by its path and architecture (a nested model
that holds a fusion merge is opened instead, so the merge stays visible); runs of more than
``MAX_RUN`` single-input, single-output layers become one box that counts their classes; a model
still larger than ``MAX_BOXES`` boxes has its single-entry, single-exit blocks (an Inception module,
a residual block) folded too. A finding marks the box that holds its layer with the rule's code.
``draw_model`` draws that with matplotlib (imported when called; no graphviz), top to bottom, in a
figure of bounded size.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..model import vocab
from ..model.backbones import Backbone, find_backbones
from ..model.graph import merges
from ..model.spec import ModelSpec, Node
from ..types import Finding, Severity
from .graph_layout import Layout, layered_layout
from .plots import _COLORS

MAX_RUN = 4  # longest run of plain layers drawn layer by layer
MAX_BOXES = 36  # above this many boxes, blocks are folded too
BOX_W, BOX_H = 2.6, 0.62  # inches, before the figure is scaled to fit
ROW, COL = 1.15, BOX_W + 0.9  # distance between ranks drawn down the page, or across it
GAP, GAP_ACROSS = 0.45, 0.3  # between boxes of one rank
TITLE, LEGEND, MIN_WIDTH = 0.55, 0.4, 4.0
MAX_FIGURE = (16.0, 20.0)  # inches
STACKED, SHADOW = ("model", "backbone"), 0.06  # boxes that stand for a whole model, drawn as a stack
LABEL_CHARS = 44
_FILL = {"input": "#e8f6ef", "merge": "#fef5e7", "output": "#f4ecf7", "model": "#eaf2f8", "backbone": "#eaf2f8",
         "chain": "#f4f6f7", "block": "#f4f6f7", "layer": "#ffffff"}
_DEFAULT_ACTIVATION = {"LSTM": "tanh", "GRU": "tanh", "SimpleRNN": "tanh", "ConvLSTM2D": "tanh"}


@dataclass
class Box:
    """One box of the drawing: a layer, or a group of layers drawn as one."""

    key: str
    kind: str  # input | layer | merge | output | model | backbone | chain | block
    title: str
    detail: str
    members: tuple[str, ...]  # node keys
    codes: tuple[str, ...] = ()
    severity: Severity | None = None


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    operand: str  # node key of the tensor it carries
    label: str | None = None  # the operand's width, on edges into a merge


@dataclass
class ModelDrawing:
    title: str
    boxes: dict[str, Box]
    edges: list[Edge]
    layout: Layout = field(repr=False, default=None)

    def box_of(self, layer_path: str) -> Box | None:
        """The box that holds the layer at ``layer_path`` (a layer, or a nested model's path)."""
        for box in self.boxes.values():
            if layer_path in box.members or any(m.startswith(layer_path + "/") for m in box.members):
                return box
        return None


# ---- what is drawn -----------------------------------------------------------------------------


def model_boxes(spec: ModelSpec, findings: Iterable[Finding] = ()) -> ModelDrawing:
    """The boxes and edges that draw ``spec``, laid out, with ``findings`` marked on their boxes."""
    graph = _Graph.of(spec)
    flagged = _flagged_nodes(spec, findings)

    def plain(unit: str, kinds: tuple[str, ...]) -> bool:
        members = graph.members[unit]
        return graph.kind[unit] in kinds and not any(k in flagged for k in members) and \
            (graph.kind[unit] != "layer" or len(spec.nodes[members[0]].inputs) <= 1)

    graph.fold_runs(lambda u: plain(u, ("layer",)))
    if len(graph.order) > MAX_BOXES:
        graph.fold_blocks(spec)
        graph.fold_runs(lambda u: plain(u, ("layer", "block", "chain")))
    boxes = {u: _box(spec, graph, u) for u in graph.order}
    for unit in boxes:
        found = [f for k in graph.members[unit] for f in flagged.get(k, ())]
        if found:
            boxes[unit].codes = tuple(sorted({f.code for f in found}))
            boxes[unit].severity = max(f.severity for f in found)
    edges = [Edge(s, t, operand, _operand_label(spec, operand) if graph.kind[t] == "merge" else None)
             for s, t, operand in graph.edges]
    widths = {u: BOX_W for u in graph.order}
    inputs = [graph.unit[k] for k in spec.inputs if k in graph.unit]
    layout = layered_layout(graph.order, [(e.source, e.target) for e in edges], widths, GAP, pinned_top=inputs)
    title = f"{spec.name} ({Path(spec.source).name}): {len(spec.nodes)} layer calls in {len(boxes)} boxes"
    return ModelDrawing(title, boxes, edges, layout)


class _Graph:
    """Units (boxes to be) over the model's nodes, and the edges between units, one per tensor."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.members: dict[str, list[str]] = {}
        self.kind: dict[str, str] = {}
        self.unit: dict[str, str] = {}  # node key -> unit
        self.edges: list[tuple[str, str, str]] = []  # (source unit, target unit, operand node)
        self.backbone: dict[str, str] = {}  # unit -> architecture

    @classmethod
    def of(cls, spec: ModelSpec) -> _Graph:
        graph = cls()
        opened = _opened_scopes(spec)
        flattened = {key: b for b in find_backbones(spec) if not b.nested for key in _backbone_box(spec, b)}
        nested_arch = {b.prefix.rstrip("/"): b.arch for b in find_backbones(spec) if b.nested}
        outputs = {o.key for o in spec.outputs}
        alias: dict[str, str] = {}
        for key, node in spec.nodes.items():
            scope = _closed_scope(node, opened)
            if scope is not None:
                graph._add(key, "model:" + scope, "model")
                path = node.layer.path.split("/")
                graph.backbone.setdefault("model:" + scope, nested_arch.get("/".join(path[:scope.count("/") + 1]), ""))
            elif key in flattened:
                unit = f"backbone:{flattened[key].top}"
                graph._add(key, unit, "backbone")
                graph.backbone[unit] = flattened[key].arch
            elif node.layer.class_name == "InputLayer" and not node.model_input and len(node.inputs) == 1:
                alias[key] = node.inputs[0]  # the input of an opened nested model: the outer tensor itself
            else:
                graph._add(key, key, _kind(node, key in outputs))
        for key, node in spec.nodes.items():
            if key in alias:
                continue
            for operand in node.inputs:
                source = _resolve(operand, alias)
                if source in graph.unit and graph.unit[source] != graph.unit[key]:
                    graph.edges.append((graph.unit[source], graph.unit[key], source))
        graph._sort()
        return graph

    def _add(self, key: str, unit: str, kind: str) -> None:
        if unit not in self.members:
            self.order.append(unit)
            self.members[unit] = []
            self.kind[unit] = kind
        self.members[unit].append(key)
        self.unit[key] = unit

    def _sort(self) -> None:
        from .graph_layout import topological

        preds, succs = self.adjacency()
        self.order = topological(self.order, preds, succs)

    def adjacency(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        preds: dict[str, list[str]] = {u: [] for u in self.order}
        succs: dict[str, list[str]] = {u: [] for u in self.order}
        for source, target, _ in self.edges:
            if target not in succs[source]:
                succs[source].append(target)
                preds[target].append(source)
        return preds, succs

    def fold(self, units: Sequence[str], unit: str, kind: str) -> None:
        """Replace ``units`` by one unit (at the place of the first)."""
        gone = set(units)
        members = [m for u in units for m in self.members.pop(u)]
        position = min(self.order.index(u) for u in units)
        self.order = [u for u in self.order[:position] if u not in gone] + [unit] + \
                     [u for u in self.order[position:] if u not in gone]
        for u in units:
            self.kind.pop(u, None)
        self.members[unit], self.kind[unit] = members, kind
        for key in members:
            self.unit[key] = unit
        moved = [(unit if s in gone else s, unit if t in gone else t, o) for s, t, o in self.edges]
        self.edges = [(s, t, o) for s, t, o in moved if s != t]

    def fold_runs(self, plain: Callable[[str], bool]) -> None:
        """Each run of more than MAX_RUN plain units, one after the other, becomes one ``chain`` unit."""
        preds, succs = self.adjacency()
        single = {u for u in self.order if plain(u) and len(preds[u]) == 1 and len(succs[u]) == 1}
        runs, seen = [], set()
        for unit in self.order:
            if unit not in single or unit in seen or (preds[unit][0] in single and succs[preds[unit][0]] == [unit]):
                continue
            run = [unit]
            while succs[run[-1]][0] in single and preds[succs[run[-1]][0]] == [run[-1]]:
                run.append(succs[run[-1]][0])
            seen.update(run)
            if len(run) > MAX_RUN:
                runs.append(run)
        for run in runs:
            self.fold(run, "chain:" + run[0], "chain")

    def fold_blocks(self, spec: ModelSpec) -> None:
        """Fold single-entry, single-exit regions (from a fork to the layer where its paths meet)."""
        fusion = {m.node.key for m in merges(spec) if m.is_fusion}
        region = self._first_block(fusion)
        while region is not None:
            self.fold(region, "block:" + region[-1], "block")
            region = self._first_block(fusion)

    def _first_block(self, fusion: set[str]) -> list[str] | None:
        preds, succs = self.adjacency()
        index = {u: i for i, u in enumerate(self.order)}
        below: dict[str, int] = {}  # unit -> bitmask of the units it reaches
        for unit in reversed(self.order):
            mask = 0
            for s in succs[unit]:
                mask |= below[s] | (1 << index[s])
            below[unit] = mask
        fixed = {u for u in self.order if self.kind[u] in ("input", "output", "model", "backbone")
                 or set(self.members[u]) & fusion}
        for fork in self.order:
            if len(succs[fork]) < 2:
                continue
            reach = below[fork]
            for join in self.order[index[fork] + 1:]:
                if not reach >> index[join] & 1 or len(preds[join]) < 2:
                    continue
                region = [u for u in self.order if reach >> index[u] & 1 and (u == join or below[u] >> index[join] & 1)]
                inside = set(region)
                if inside & fixed:
                    break
                closed = all(set(preds[u]) <= inside | {fork} for u in region) and \
                    all(set(succs[u]) <= inside for u in region if u != join) and set(succs[fork]) <= inside
                if closed:
                    return region
        return None


def _backbone_box(spec: ModelSpec, backbone: Backbone) -> set[str]:
    """The nodes a flattened backbone's box holds: up to its feature output (an ImageNet classifier
    after it is drawn apart), without a merge in front of it (``Concatenate()([gray] * 3)``)."""
    box = {backbone.top} | {n.key for n in spec.upstream(backbone.top) if not n.model_input}
    front = {k for k in box if spec.nodes[k].layer.class_name in vocab.MERGE_CLASSES
             and not set(spec.nodes[k].inputs) & box}
    return box - front


def _kind(node: Node, is_output: bool) -> str:
    if node.model_input:
        return "input"
    if is_output:
        return "output"
    return "merge" if len(node.inputs) > 1 and node.layer.class_name in vocab.MERGE_CLASSES else "layer"


def _scopes(node: Node) -> list[str]:
    """The ids of the nested-model calls around ``node``, outermost first (``vgg16``, ``a/b#1``)."""
    parts = node.layer.path.split("/")[:-1]
    calls = list(node.chain) + [0] * (len(parts) - len(node.chain))
    return ["/".join(parts[:i]) + "".join(f"#{c}" for c in calls[:i] if c) for i in range(1, len(parts) + 1)]


def _opened_scopes(spec: ModelSpec) -> set[str]:
    """Nested-model calls that hold a fusion merge: drawn layer by layer, so the merge shows."""
    return {scope for m in merges(spec) if m.is_fusion for scope in _scopes(m.node)}


def _closed_scope(node: Node, opened: set[str]) -> str | None:
    for scope in _scopes(node):
        if scope not in opened:
            return scope
    return None


def _resolve(key: str, alias: dict[str, str]) -> str:
    seen = set()
    while key in alias and key not in seen:
        seen.add(key)
        key = alias[key]
    return key


def _flagged_nodes(spec: ModelSpec, findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """node key -> the findings located at it (at its layer path, an enclosing nested model's path,
    or the output it computes)."""
    by_path: dict[str, set[str]] = {}
    for key, node in spec.nodes.items():
        parts = node.layer.path.split("/")
        for i in range(1, len(parts) + 1):
            by_path.setdefault("/".join(parts[:i]), set()).add(key)
    outputs = {o.name: o.key for o in spec.outputs}
    flagged: dict[str, list[Finding]] = {}
    for finding in findings:
        where = finding.location.layer or finding.location.output
        keys = by_path.get(where, set()) if where else set()
        if not keys and finding.location.output in outputs:
            keys = {outputs[finding.location.output]}
        for key in keys:
            flagged.setdefault(key, []).append(finding)
    return flagged


# ---- labels ------------------------------------------------------------------------------------


def _box(spec: ModelSpec, graph: _Graph, unit: str) -> Box:
    kind, members = graph.kind[unit], graph.members[unit]
    nodes = [spec.nodes[k] for k in members]
    if kind == "model":
        scope = unit[len("model:"):]
        arch = graph.backbone.get(unit)
        model_class = spec.layers[scope.split("#")[0]].class_name if scope.split("#")[0] in spec.layers else "model"
        title, detail = scope, f"{arch + ' backbone' if arch else model_class} · {_count(nodes)}{_trainability(nodes)}"
    elif kind == "backbone":
        title = f"{graph.backbone[unit]} backbone"
        detail = f"{_count(nodes)} to {spec.nodes[unit[len('backbone:'):]].layer.name}{_trainability(nodes)}"
    elif kind in ("chain", "block"):
        last = nodes[-1].layer.path
        title = f"{nodes[0].layer.path} … {last}" if kind == "chain" else f"block to {last}"
        detail = f"{_count(nodes)}: {_class_counts(nodes, 2)}"
    else:
        title, detail = nodes[0].layer.path, _describe(nodes[0])
    return Box(unit, kind, _clip(title), _clip(detail), tuple(members))


def _count(nodes: Sequence[Node]) -> str:
    count = sum(1 for n in nodes if n.layer.class_name != "InputLayer")
    return f"{count} layer{'s' if count != 1 else ''}"


def _class_counts(nodes: Sequence[Node], most: int) -> str:
    counts = Counter(n.layer.class_name for n in nodes if n.layer.class_name != "InputLayer")
    shown = [f"{name} ×{count}" if count > 1 else name for name, count in counts.most_common(most)]
    return ", ".join(shown) + (", …" if len(counts) > most else "")


def _trainability(nodes: Sequence[Node]) -> str:
    weighted = [n.layer.trainable for n in nodes if n.layer.class_name in vocab.WEIGHTED_CLASSES]
    if not weighted:
        return ""
    return ", frozen" if not any(weighted) else ", trainable" if all(weighted) else ", partly frozen"


def _describe(node: Node) -> str:
    """``Dense(64, relu)``, ``Dropout(0.5)``, ``Input (224, 224, 3)``, ``Concatenate → 74``."""
    layer = node.layer
    if node.model_input or layer.class_name == "InputLayer":
        shape = node.output_shape[1:] if node.output_shape else None
        return f"Input {tuple(shape)}" if shape else "Input"
    if layer.class_name in vocab.MERGE_CLASSES:
        return layer.class_name + (f" → {node.width}" if node.width else "")
    class_name, config = layer.inner
    outer = f"{layer.class_name}({class_name})" if class_name != layer.class_name else class_name
    arguments = [str(layer.units)] if layer.units else []
    if layer.activation not in (None, "linear", _DEFAULT_ACTIVATION.get(class_name)) and \
            layer.class_name not in vocab.ACTIVATION_LAYERS:
        arguments.append(layer.activation)
    if isinstance(config.get("rate"), (int, float)) and not isinstance(config.get("rate"), bool):
        arguments.append(f"{config['rate']:g}")
    if layer.class_name in vocab.ACTIVATION_LAYERS and layer.activation:
        arguments.append(layer.activation)
    return f"{outer}({', '.join(arguments)})" if arguments else outer


def _operand_label(spec: ModelSpec, operand: str) -> str | None:
    width = spec.nodes[operand].width if operand in spec.nodes else None
    return str(width) if width else None


def _clip(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ---- drawing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """Layout units to figure inches: ranks go down the page, or across it for wide, shallow models."""

    layout: Layout
    down: bool

    def place(self, rank: float, across: float) -> tuple[float, float]:
        return (across, -rank * ROW) if self.down else (rank * COL, -across)

    def centre(self, unit: str) -> tuple[float, float]:
        return self.place(self.layout.rank[unit], self.layout.x[unit])

    def leave(self, unit: str, stacked: bool) -> tuple[float, float]:
        x, y = self.centre(unit)
        behind = SHADOW if stacked else 0.0
        return (x, y - BOX_H / 2 - behind) if self.down else (x + BOX_W / 2 + behind, y)

    def enter(self, unit: str, offset: float) -> tuple[float, float]:
        x, y = self.centre(unit)
        return (x + offset, y + BOX_H / 2) if self.down else (x - BOX_W / 2, y - offset)

    @property
    def side(self) -> float:
        """Length of the box side that edges enter."""
        return BOX_W if self.down else BOX_H

    def extent(self) -> tuple[float, float, float, float]:
        """(left, right, bottom, top) of everything drawn, margins for the title and legend included."""
        xs, ys = zip(*(self.centre(u) for u in self.layout.x), strict=True) if self.layout.x else ((0.0,), (0.0,))
        return (min(xs) - BOX_W / 2 - GAP, max(xs) + BOX_W / 2 + GAP + SHADOW,
                min(ys) - BOX_H / 2 - SHADOW - LEGEND, max(ys) + BOX_H / 2 + TITLE)

    def scale(self) -> float:
        left, right, bottom, top = self.extent()
        return min(1.0, MAX_FIGURE[0] / (right - left), MAX_FIGURE[1] / (top - bottom))


def _frame(drawing: ModelDrawing) -> _Frame:
    """Top to bottom, unless the model is so wide that left to right draws it larger."""
    down = _Frame(drawing.layout, True)
    if down.scale() >= 1.0:
        return down
    pairs = [(e.source, e.target) for e in drawing.edges]
    inputs = [u for u, b in drawing.boxes.items() if b.kind == "input"]
    across = _Frame(layered_layout(list(drawing.boxes), pairs, {u: BOX_H for u in drawing.boxes}, GAP_ACROSS,
                                   pinned_top=inputs), False)
    return across if across.scale() > down.scale() else down


def draw_model(spec: ModelSpec, findings: Iterable[Finding] = ()):
    """A matplotlib Figure of the model's graph, flagged layers outlined in their severity's colour
    and labelled with the rule codes. Each box is the patch with gid ``box:<key>``, each edge the
    patch with gid ``edge:<source>-><target>``, each code label the text with gid ``codes:<key>``;
    ``figure.fusiondoctor_drawing`` holds the ModelDrawing (its layout the one drawn)."""
    from .plots import _pyplot

    drawing = model_boxes(spec, findings)
    frame = _frame(drawing)
    drawing.layout = frame.layout
    left, right, bottom, top = frame.extent()
    if right - left < MIN_WIDTH:
        left, right = left - (MIN_WIDTH - (right - left)) / 2, right + (MIN_WIDTH - (right - left)) / 2
    scale = frame.scale()
    fig = _pyplot().figure(figsize=((right - left) * scale, (top - bottom) * scale))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.axis("off")
    font = 7.5 * scale  # text scales with the boxes, so labels stay inside them
    for edge, points in zip(drawing.edges, _edge_points(drawing, frame), strict=True):
        _draw_edge(ax, edge, points, font)
    for box in drawing.boxes.values():
        _draw_box(ax, box, frame.centre(box.key), font)
    ax.text((left + right) / 2, top - 0.15, drawing.title, ha="center", va="top", fontsize=font + scale,
            color="#1c2833")
    _legend(fig, drawing, font)
    fig.fusiondoctor_drawing = drawing
    return fig


def model_png(spec: ModelSpec, findings: Iterable[Finding] = ()) -> bytes:
    """The drawing as PNG bytes, for reports."""
    from .plots import figure_bytes

    return figure_bytes(draw_model(spec, findings))


def _edge_points(drawing: ModelDrawing, frame: _Frame) -> list[list[tuple[float, float]]]:
    """The points of each edge: out of its source, through a point on each rank it passes, into its
    target. Edges into one box are spread over the side they enter in the order of their sources,
    so each operand of a merge shows apart."""
    layout = frame.layout

    def came_from(index: int) -> float:
        edge = drawing.edges[index]
        route = layout.routes.get((edge.source, edge.target))
        return route[-1] if route else layout.x[edge.source]

    incoming: dict[str, list[int]] = {}
    for index, edge in enumerate(drawing.edges):
        incoming.setdefault(edge.target, []).append(index)
    entries = {}
    for target, indices in incoming.items():
        indices.sort(key=came_from)
        step = min(0.45, frame.side * 0.8 / max(1, len(indices)))
        for slot, index in enumerate(indices):
            entries[index] = frame.enter(target, (slot - (len(indices) - 1) / 2) * step)
    points = []
    for index, edge in enumerate(drawing.edges):
        route = layout.routes.get((edge.source, edge.target), ())
        start = layout.rank[edge.source]
        middle = [frame.place(start + i + 1, across) for i, across in enumerate(route)]
        points.append([frame.leave(edge.source, drawing.boxes[edge.source].kind in STACKED), *middle, entries[index]])
    return points


def _draw_edge(ax, edge: Edge, points: list[tuple[float, float]], font: float) -> None:
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path as MplPath

    codes = [MplPath.MOVETO] + [MplPath.LINETO] * (len(points) - 1)
    arrow = FancyArrowPatch(path=MplPath(points, codes), arrowstyle="-|>", mutation_scale=8 + font, color="#566573",
                            linewidth=0.9, shrinkA=0, shrinkB=0, zorder=1)
    arrow.set_gid(f"edge:{edge.source}->{edge.target}")
    ax.add_patch(arrow)
    if edge.label:
        (x0, y0), (x1, y1) = points[-2], points[-1]
        ax.text(x1 + (x0 - x1) * 0.35 + 0.05, y1 + (y0 - y1) * 0.35, edge.label, fontsize=font * 0.9, color="#566573",
                ha="left", va="center", zorder=3, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})


def _draw_box(ax, box: Box, at: tuple[float, float], font: float) -> None:
    from matplotlib.patches import FancyBboxPatch

    x, y = at
    color = _COLORS[box.severity] if box.severity is not None else "#808b96"
    patch = FancyBboxPatch((x - BOX_W / 2, y - BOX_H / 2), BOX_W, BOX_H, boxstyle="round,pad=0,rounding_size=0.08",
                           facecolor=_FILL[box.kind], edgecolor=color, linewidth=2.4 if box.severity else 1.0,
                           linestyle="--" if box.kind in ("chain", "block") else "-", zorder=2)
    patch.set_gid(f"box:{box.key}")
    ax.add_patch(patch)
    if box.kind in STACKED:  # a second edge behind: this box holds a whole model
        ax.add_patch(FancyBboxPatch((x - BOX_W / 2 + SHADOW, y - BOX_H / 2 - SHADOW), BOX_W, BOX_H,
                                    boxstyle="round,pad=0,rounding_size=0.08", facecolor=_FILL[box.kind],
                                    edgecolor=color, linewidth=0.8, zorder=1.5))
    ax.text(x, y + 0.1, box.title, ha="center", va="center", fontsize=font, fontweight="bold", color="#1c2833",
            zorder=4)
    ax.text(x, y - 0.13, box.detail, ha="center", va="center", fontsize=font * 0.92, color="#34495e", zorder=4)
    if box.codes:
        ax.text(x + BOX_W / 2, y + BOX_H / 2, " ".join(box.codes), ha="right", va="center", fontsize=font * 0.95,
                fontweight="bold", color="white", zorder=5, gid=f"codes:{box.key}",
                bbox={"facecolor": color, "edgecolor": color, "boxstyle": "round,pad=0.25"})


def _legend(fig, drawing: ModelDrawing, font: float) -> None:
    shown = sorted({b.severity for b in drawing.boxes.values() if b.severity is not None}, reverse=True)
    if not shown:
        return
    from matplotlib.patches import Patch

    handles = [Patch(facecolor="white", edgecolor=_COLORS[s], linewidth=2, label=f"{s.label} finding") for s in shown]
    fig.legend(handles=handles, loc="lower right", fontsize=font, frameon=False, ncol=len(handles))
