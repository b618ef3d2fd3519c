"""A layered (Sugiyama-style) layout of a small directed acyclic graph, for drawing models.

Ranks from the edges (sources on top), a dummy point wherever an edge spans several ranks, the order
within each rank from barycenter sweeps that keep the ordering with the fewest crossings, then x
positions pulled toward each node's neighbours without overlaps. Pure Python: no drawing here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SWEEPS = 12  # barycenter passes (down and up) tried; the ordering with the fewest crossings is kept
PULLS = 8  # rounds of pulling x positions toward neighbours


@dataclass(frozen=True)
class Layout:
    """Positions in layout units: ``x`` of each node's centre, its ``rank`` (0 at the top), and for
    each edge the x of the points it passes on the ranks in between."""

    x: dict[str, float]
    rank: dict[str, int]
    routes: dict[tuple[str, str], tuple[float, ...]]
    crossings: int

    @property
    def ranks(self) -> int:
        return max(self.rank.values(), default=-1) + 1


def layered_layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]], widths: dict[str, float],
                   gap: float = 0.4, pinned_top: Sequence[str] = ()) -> Layout:
    """Lay out ``nodes`` (in a preferred order) joined by ``edges`` (source, target), each node as
    wide as ``widths`` says; nodes in ``pinned_top`` (the model inputs) sit on the top rank, every
    other node as low as its successors allow."""
    edges = list(dict.fromkeys((s, t) for s, t in edges if s != t))
    preds: dict[str, list[str]] = {n: [] for n in nodes}
    succs: dict[str, list[str]] = {n: [] for n in nodes}
    for source, target in edges:
        succs[source].append(target)
        preds[target].append(source)
    order = topological(nodes, preds, succs)
    rank = _ranks(order, preds, succs, set(pinned_top))
    layers, chains = _with_dummies(order, edges, rank)
    width = {**{n: widths.get(n, 1.0) for n in nodes}, **{d: 0.0 for chain in chains.values() for d in chain}}
    up, down = _neighbours(edges, chains)
    layers = _order(layers, up, down)
    x = _coordinates(layers, up, down, width, gap)
    routes = {edge: tuple(x[d] for d in chains.get(edge, ())) for edge in edges}
    return Layout({n: x[n] for n in nodes}, rank, routes, _total_crossings(layers, down))


def topological(nodes: Sequence[str], preds: dict[str, list[str]], succs: dict[str, list[str]]) -> list[str]:
    """Kahn's order, ties broken by the given order; nodes on a cycle (none in a model) come last."""
    position = {n: i for i, n in enumerate(nodes)}
    waiting = {n: len(set(preds[n])) for n in nodes}
    ready = sorted((n for n in nodes if waiting[n] == 0), key=position.get)
    result: list[str] = []
    while ready:
        node = ready.pop(0)
        result.append(node)
        for target in dict.fromkeys(succs[node]):
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
                ready.sort(key=position.get)
    placed = set(result)
    return result + [n for n in nodes if n not in placed]


def _ranks(order: list[str], preds, succs, pinned: set[str]) -> dict[str, int]:
    """Longest path from the top, then every node that is not pinned moved down next to its successors."""
    rank: dict[str, int] = {}
    for node in order:
        rank[node] = 0 if node in pinned else max((rank[p] + 1 for p in preds[node] if p in rank), default=0)
    for node in reversed(order):
        if node not in pinned and succs[node]:
            rank[node] = max(rank[node], min(rank[s] for s in succs[node]) - 1)
    return rank


def _with_dummies(order: list[str], edges, rank) -> tuple[list[list[str]], dict[tuple[str, str], list[str]]]:
    """Nodes per rank, with a dummy node on each rank that an edge passes over."""
    layers: list[list[str]] = [[] for _ in range(max(rank.values(), default=0) + 1)]
    for node in order:
        layers[rank[node]].append(node)
    chains: dict[tuple[str, str], list[str]] = {}
    for source, target in edges:
        chain = [f"\0{source}\0{target}\0{r}" for r in range(rank[source] + 1, rank[target])]
        for r, dummy in zip(range(rank[source] + 1, rank[target]), chain, strict=True):
            layers[r].append(dummy)
        chains[(source, target)] = chain
    return layers, chains


def _neighbours(edges, chains) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Neighbours on the rank above (``up``) and below (``down``), dummies included."""
    up: dict[str, list[str]] = {}
    down: dict[str, list[str]] = {}
    for source, target in edges:
        path = [source, *chains[(source, target)], target]
        for a, b in zip(path, path[1:], strict=False):
            down.setdefault(a, []).append(b)
            up.setdefault(b, []).append(a)
    return up, down


def _order(layers: list[list[str]], up, down) -> list[list[str]]:
    best = [list(layer) for layer in layers]
    best_count = _total_crossings(best, down)
    current = [list(layer) for layer in layers]
    for sweep in range(SWEEPS):
        if best_count == 0:
            break
        downward = sweep % 2 == 0
        indices = range(1, len(current)) if downward else range(len(current) - 2, -1, -1)
        for r in indices:
            fixed = current[r - 1] if downward else current[r + 1]
            _sort_by_barycenter(current[r], fixed, up if downward else down)
        count = _total_crossings(current, down)
        if count < best_count:
            best, best_count = [list(layer) for layer in current], count
    return best


def _sort_by_barycenter(layer: list[str], fixed: list[str], neighbours) -> None:
    position = {n: i for i, n in enumerate(fixed)}

    def key(item: tuple[int, str]) -> float:
        index, node = item
        placed = [position[n] for n in neighbours.get(node, ()) if n in position]
        return sum(placed) / len(placed) if placed else float(index)

    layer[:] = [node for _, node in sorted(enumerate(layer), key=key)]


def _total_crossings(layers: list[list[str]], down) -> int:
    total = 0
    for upper, lower in zip(layers, layers[1:], strict=False):
        below = {n: i for i, n in enumerate(lower)}
        segments = [(i, below[t]) for i, n in enumerate(upper) for t in down.get(n, ()) if t in below]
        total += sum(1 for k, (a, b) in enumerate(segments) for c, d in segments[k + 1:] if (a - c) * (b - d) < 0)
    return total


def _coordinates(layers: list[list[str]], up, down, width: dict[str, float], gap: float) -> dict[str, float]:
    """Nodes side by side in their order, then pulled toward the mean x of their neighbours."""
    x: dict[str, float] = {}
    for layer in layers:
        left = 0.0
        for node in layer:
            x[node] = left + width[node] / 2
            left += width[node] + gap
    for _ in range(PULLS):
        for layer in layers:
            wanted = []
            for node in layer:
                linked = [x[n] for n in up.get(node, []) + down.get(node, [])]
                wanted.append(sum(linked) / len(linked) if linked else x[node])
            for node, value in zip(layer, _spread(wanted, [width[n] for n in layer], gap), strict=True):
                x[node] = value
    for layer in layers:  # last, top down: each node under what feeds it, so chains run straight
        wanted = []
        for node in layer:
            above = [x[n] for n in up.get(node, [])]
            wanted.append(sum(above) / len(above) if above else x[node])
        for node, value in zip(layer, _spread(wanted, [width[n] for n in layer], gap), strict=True):
            x[node] = value
    shift = min((x[n] - width[n] / 2 for n in x), default=0.0)
    return {n: value - shift for n, value in x.items()}


def _spread(wanted: list[float], widths: list[float], gap: float) -> list[float]:
    """Positions as close to ``wanted`` as the order and the minimum gaps allow (a left and a right
    pass, averaged)."""
    if not wanted:
        return []
    right = list(wanted)
    for i in range(1, len(right)):
        right[i] = max(right[i], right[i - 1] + (widths[i - 1] + widths[i]) / 2 + gap)
    left = list(wanted)
    for i in range(len(left) - 2, -1, -1):
        left[i] = min(left[i], left[i + 1] - (widths[i + 1] + widths[i]) / 2 - gap)
    return [(a + b) / 2 for a, b in zip(left, right, strict=True)]
