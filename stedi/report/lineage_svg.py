"""The lineage drawn: an inline SVG of the lake's tables, boxes in columns by layer (wide) or in
bands (tall, for a phone), with numbered arrows that match the numbered rules beside it."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count
from xml.etree import ElementTree as ET

from stedi.report.lineage import Edge, Lineage

# ---- the drawing: boxes in columns by layer, numbered arrows ----------------------------------

COLUMNS = ("landing", "staging", "trusted", "curated")  # quarantine and outside tables sit with landing
ZONE_COLOURS = {  # (fill, border): dark text on light fills; borders dark enough to read on white
    "landing": ("#FEF3C7", "#B45309"),
    "quarantine": ("#FEE2E2", "#B91C1C"),
    "staging": ("#EDE9FE", "#6D28D9"),
    "trusted": ("#DBEAFE", "#1D4ED8"),
    "curated": ("#DCFCE7", "#15803D"),
    "external": ("#F3F4F6", "#4B5563"),
}
INK, LINE = "#1A202C", "#4A5568"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
CHAR_WIDTH, PADDING, BOX_HEIGHT, PITCH, MARGIN, HEADING = 7.2, 14, 36, 60, 16, 26
COLUMN_GAP, LANE_GAP, BADGE_RADIUS = 120, 22, 9


@dataclass
class _Box:
    name: str
    x: float
    y: float
    w: float
    h: float = BOX_HEIGHT

    def port(self, side: str, fraction: float) -> tuple[float, float]:
        return {"left": (self.x, self.y + self.h * fraction), "right": (self.x + self.w, self.y + self.h * fraction),
                "top": (self.x + self.w * fraction, self.y), "bottom": (self.x + self.w * fraction, self.y + self.h)}[side]


@dataclass
class _Route:  # how one edge is drawn: its shape, the sides it leaves and enters, and the ports there
    edge: Edge
    shape: str  # curve, back, straight, arc (wide); straight, lane (tall)
    sides: tuple[str, str]
    keys: tuple[object, object] = (0, 0)  # order of ports along a side, so arrows sharing it do not cross
    lane: float = 0.0  # x of a tall layout's lane, or how far a wide layout's arc bulges
    ends: list[tuple[float, float]] = field(default_factory=lambda: [(0.0, 0.0), (0.0, 0.0)])


def lineage_svg(lineage: Lineage, orientation: str = "wide") -> str:
    """The lineage as an inline <svg>: layers left to right ("wide") or top to bottom ("tall", for a
    phone). Nodes carry data-table, edges data-edge with the edge's number on a badge."""
    if orientation not in ("wide", "tall"):
        raise ValueError(f"orientation must be 'wide' or 'tall', not {orientation!r}")
    stacks = _stacks(lineage)
    boxes, routes, headings = (_wide if orientation == "wide" else _tall)(lineage, stacks)
    _place_ports(routes, boxes)
    return _render(lineage, orientation, boxes, routes, headings)


def _stacks(lineage: Lineage) -> list[list[tuple[str, int]]]:
    """Each column's nodes with their slot: landing in node order, a model level with its main input."""
    column = {n.name: COLUMNS.index(n.zone) if n.zone in COLUMNS else 0 for n in lineage.nodes}
    slots: dict[str, int] = {}
    for node in lineage.nodes:  # in build order, so a model's main input already has its slot
        main = next((e.source for e in lineage.edges_into(node.name) if e.source in slots), None)
        want = slots[main] if main and column[node.name] else 0
        taken = {slots[n] for n in slots if column[n] == column[node.name]}
        slots[node.name] = next(s for d in count() for s in (want + d, want - d) if s >= 0 and s not in taken)
    return [sorted(((n, s) for n, s in slots.items() if column[n] == c), key=lambda p: p[1])
            for c in range(len(COLUMNS))]


def _wide(lineage: Lineage, stacks: list[list[tuple[str, int]]]):
    column = {name: c for c, stack in enumerate(stacks) for name, _ in stack}
    slot = {name: s for stack in stacks for name, s in stack}
    routes = []
    for edge in lineage.edges:
        a, b = edge.source, edge.target
        ca, cb, sa, sb = column[a], column[b], slot[a], slot[b]
        down = sb > sa
        if ca < cb:
            routes.append(_Route(edge, "curve", ("right", "left")))
        elif ca > cb:
            routes.append(_Route(edge, "back", ("bottom" if down else "top", "right")))
        elif not any(column[n] == ca and min(sa, sb) < s < max(sa, sb) for n, s in slot.items()):
            routes.append(_Route(edge, "straight", ("bottom", "top") if down else ("top", "bottom")))
        else:  # same column, boxes between: an arc out to the left, wider for a longer span
            routes.append(_Route(edge, "arc", ("left", "left"), lane=40 + 16 * abs(sb - sa) / 2))
    room = max([0.0] + [0.75 * r.lane + BADGE_RADIUS for r in routes if r.shape == "arc"])
    boxes, headings, x = {}, [], MARGIN + room
    for c, stack in enumerate(stacks):
        if not stack:
            continue
        width = max(len(n) for n, _ in stack) * CHAR_WIDTH + 2 * PADDING
        headings.append((COLUMNS[c], x + width / 2, MARGIN + 12, "middle"))
        for name, s in stack:
            boxes[name] = _Box(name, x, MARGIN + HEADING + s * PITCH, width)
        x += width + COLUMN_GAP
    for r in routes:
        a, b = boxes[r.edge.source], boxes[r.edge.target]
        if r.shape == "arc":  # a longer arc enters lower and leaves higher, outside the shorter ones
            r.keys = (-b.y, -a.y)
        elif r.sides[0] in ("left", "right"):
            r.keys = ((b.y, b.x), (a.y, a.x))
        else:
            r.keys = ((b.x, b.y), (a.x, a.y))
    return boxes, routes, headings


def _tall(lineage: Lineage, stacks: list[list[tuple[str, int]]]):
    rows = [name for stack in stacks for name, _ in stack]
    row = {name: i for i, name in enumerate(rows)}
    routes, lanes = [], {"left": [], "right": []}  # per side, per lane: the row spans it carries
    lane_of: dict[int, int] = {}
    for edge in lineage.edges:
        a, b = row[edge.source], row[edge.target]
        if abs(a - b) == 1:
            routes.append(_Route(edge, "straight", ("bottom", "top") if b > a else ("top", "bottom")))
        else:
            routes.append(_Route(edge, "lane", ("right", "right")))
    # Shorter spans take the inner lanes; a lane carries spans that do not touch, on whichever side
    # has a free lane nearer the boxes.
    for r in sorted((r for r in routes if r.shape == "lane"), key=lambda r: abs(row[r.edge.source] - row[r.edge.target])):
        lo, hi = sorted((row[r.edge.source], row[r.edge.target]))
        free = [(k, side) for side in ("right", "left") for k in range(len(lanes[side]) + 1)
                if k == len(lanes[side]) or all(h < lo or l > hi for l, h in lanes[side][k])]
        k, side = min(free, key=lambda f: (f[0], f[1] == "left"))
        if k == len(lanes[side]):
            lanes[side].append([])
        lanes[side][k].append((lo, hi))
        r.sides, lane_of[r.edge.number] = (side, side), k
    width = max(len(n) for n in rows) * CHAR_WIDTH + 2 * PADDING
    left = MARGIN + (20 + LANE_GAP * (len(lanes["left"]) - 1) + BADGE_RADIUS if lanes["left"] else 0)
    boxes, headings, y, band = {}, [], MARGIN, None
    for name in rows:  # a band per layer, as the wide layout's columns, under a heading
        zone = lineage.node(name).zone
        if (zone if zone in COLUMNS else "landing") != band:
            band = zone if zone in COLUMNS else "landing"
            y += (PITCH - BOX_HEIGHT if headings else 0) + HEADING
            headings.append((band, left, y - 10, "start"))
        boxes[name] = _Box(name, left, y, width)
        y += PITCH
    for r in routes:
        a, b = boxes[r.edge.source], boxes[r.edge.target]
        if r.shape == "lane":
            side, k = r.sides[0], lane_of[r.edge.number]
            r.lane = a.x + a.w + 20 + LANE_GAP * k if side == "right" else a.x - 20 - LANE_GAP * k
            # Along a side: arrows going up above those going down; inner lanes nearer the middle.
            r.keys = tuple((0, k) if other.y < this.y else (1, -k) for this, other in ((a, b), (b, a)))
        else:
            r.keys = (b.x, a.x)
    return boxes, routes, headings


def _place_ports(routes: list[_Route], boxes: dict[str, _Box]) -> None:
    """Spread the arrows that share a side of a box along it, in the order of their keys."""
    sharing: dict[tuple[str, str], list[tuple[object, _Route, int]]] = {}
    for r in routes:
        for end, name in enumerate((r.edge.source, r.edge.target)):
            sharing.setdefault((name, r.sides[end]), []).append((r.keys[end], r, end))
    for (name, side), ends in sharing.items():
        ends.sort(key=lambda e: (e[0], e[1].edge.number))
        for i, (_, r, end) in enumerate(ends):
            r.ends[end] = boxes[name].port(side, (i + 1) / (len(ends) + 1))


def _geometry(r: _Route) -> tuple[str, list[tuple[float, float]], list[tuple[float, float]]]:
    """A route's SVG path, points along it, and the places its badge may go, best first."""
    (x0, y0), (x3, y3) = r.ends
    if r.shape == "straight":
        return (f"M{_n(x0)},{_n(y0)} L{_n(x3)},{_n(y3)}", _along([(x0, y0), (x3, y3)]),
                [((x0 + x3) / 2 + dx, (y0 + y3) / 2) for dx in (16, -16)])
    if r.shape == "lane":
        lane, sx, sy, bend = r.lane, 1 if r.lane > x0 else -1, 1 if y3 > y0 else -1, 8
        d = (f"M{_n(x0)},{_n(y0)} H{_n(lane - sx * bend)} Q{_n(lane)},{_n(y0)} {_n(lane)},{_n(y0 + sy * bend)} "
             f"V{_n(y3 - sy * bend)} Q{_n(lane)},{_n(y3)} {_n(lane - sx * bend)},{_n(y3)} H{_n(x3)}")
        middle, reach = (y0 + y3) / 2, abs(y3 - y0) / 2 - 2 * BADGE_RADIUS
        places = [(lane, middle + dy) for dy in (0, -24, 24, -48, 48, -72, 72, -96, 96) if abs(dy) <= reach]
        return d, _along([(x0, y0), (lane, y0), (lane, y3), (x3, y3)]), places
    if r.shape == "curve":
        dx = max(30.0, (x3 - x0) / 2)
        controls = [(x0 + dx, y0), (x3 - dx, y3)]
    elif r.shape == "back":
        controls = [(x0, y0 + (50 if r.sides[0] == "bottom" else -50)), (x3 + 60, y3)]
    else:  # arc
        controls = [(x0 - r.lane, y0), (x3 - r.lane, y3)]
    points = [(x0, y0), *controls, (x3, y3)]
    d = f"M{_n(x0)},{_n(y0)} C" + " ".join(f"{_n(x)},{_n(y)}" for x, y in points[1:])
    return (d, [_bezier(points, t / 100) for t in range(101)],
            [_bezier(points, t) for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8)])


def _along(corners: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points every few pixels along a polyline."""
    points = []
    for (xa, ya), (xb, yb) in zip(corners, corners[1:]):
        steps = max(1, int(max(abs(xb - xa), abs(yb - ya)) / 4))
        points += [(xa + (xb - xa) * i / steps, ya + (yb - ya) * i / steps) for i in range(steps + 1)]
    return points


def _bezier(points: list[tuple[float, float]], t: float) -> tuple[float, float]:
    weights = ((1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t ** 3)
    return sum(w * p[0] for w, p in zip(weights, points)), sum(w * p[1] for w, p in zip(weights, points))


def _badge_place(candidates, badges, boxes, other_lines) -> tuple[float, float]:
    """The first candidate clear of the other badges, of every box and of the other arrows (so a
    badge never seems to label the arrow it sits on); failing that, clear of badges and boxes."""
    def clear(x: float, y: float, of_lines: bool) -> bool:
        near = BADGE_RADIUS + 2
        return (all((x - px) ** 2 + (y - py) ** 2 >= (2 * BADGE_RADIUS + 3) ** 2 for px, py in badges)
                and all(not (b.x - near < x < b.x + b.w + near and b.y - near < y < b.y + b.h + near) for b in boxes)
                and not (of_lines and any((x - px) ** 2 + (y - py) ** 2 < near ** 2 for px, py in other_lines)))

    for strict in (True, False):
        for x, y in candidates:
            if clear(x, y, strict):
                return x, y
    return candidates[0]


def _n(value: float) -> str:
    return f"{round(value, 1):g}"


def _render(lineage: Lineage, orientation: str, boxes: dict[str, _Box], routes: list[_Route], headings) -> str:
    geometry = {r.edge.number: _geometry(r) for r in routes}
    badges: dict[int, tuple[float, float]] = {}
    for r in sorted(routes, key=lambda r: r.shape != "straight"):  # short arrows have the fewest places
        others = [p for number, (_, line, _) in geometry.items() if number != r.edge.number for p in line]
        badges[r.edge.number] = _badge_place(geometry[r.edge.number][2], list(badges.values()), boxes.values(), others)
    xs = [b.x + b.w for b in boxes.values()] + [x + BADGE_RADIUS for x, _ in badges.values()]
    ys = [b.y + b.h for b in boxes.values()] + [y + BADGE_RADIUS for _, y in badges.values()]
    note = "dashed border: a view, not stored"
    width, height = max(max(xs), MARGIN + len(note) * 6.2) + MARGIN, max(ys) + MARGIN + 22
    marker = f"lineage-arrow-{orientation}"  # ids unique per drawing: a page may hold both
    title = (f"Lineage of the lake's tables, {orientation} layout: {len(lineage.nodes)} tables and views "
             f"from landing to curated, {len(lineage.edges)} numbered edges")
    svg = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {_n(width)} {_n(height)}", "role": "img",
        "aria-label": title, "class": f"lineage lineage-{orientation}", "font-family": FONT,
        "style": f"width:100%;height:auto;max-width:{_n(width)}px"})
    ET.SubElement(svg, "title").text = title
    defs = ET.SubElement(svg, "defs")
    arrow = ET.SubElement(defs, "marker", {"id": marker, "viewBox": "0 0 10 10", "refX": "10", "refY": "5",
                                           "markerWidth": "7", "markerHeight": "7", "orient": "auto-start-reverse"})
    ET.SubElement(arrow, "path", {"d": "M0,0 L10,5 L0,10 z", "fill": LINE})
    ET.SubElement(svg, "rect", {"width": _n(width), "height": _n(height), "rx": "8", "fill": "#FFFFFF"})
    for text, x, y, anchor in headings:
        heading = ET.SubElement(svg, "text", {"x": _n(x), "y": _n(y), "text-anchor": anchor, "font-size": "12",
                                              "font-weight": "600", "fill": ZONE_COLOURS[text][1]})
        heading.text = text
    for r in routes:  # under the boxes
        e = r.edge
        group = ET.SubElement(svg, "g", {"data-edge": str(e.number), "class": "edge"})
        ET.SubElement(group, "title").text = f"{e.badge} {e.source} → {e.target}: {e.rule}"
        ET.SubElement(group, "path", {"d": geometry[e.number][0], "fill": "none", "stroke": LINE,
                                      "stroke-width": "1.4", "marker-end": f"url(#{marker})"})
        x, y = badges[e.number]
        ET.SubElement(group, "circle", {"cx": _n(x), "cy": _n(y), "r": str(BADGE_RADIUS), "fill": "#FFFFFF",
                                        "stroke": LINE, "stroke-width": "1.2"})
        number = ET.SubElement(group, "text", {"x": _n(x), "y": _n(y), "text-anchor": "middle", "font-size": "10.5",
                                               "font-weight": "700", "dominant-baseline": "central", "fill": INK})
        number.text = str(e.number)
    for box in boxes.values():
        node = lineage.node(box.name)
        fill, border = ZONE_COLOURS.get(node.zone, ZONE_COLOURS["external"])
        group = ET.SubElement(svg, "g", {"data-table": box.name, "class": f"node zone-{node.zone}"})
        ET.SubElement(group, "title").text = f"{box.name} ({node.zone} {node.kind}): {node.description}"
        rect = {"x": _n(box.x), "y": _n(box.y), "width": _n(box.w), "height": _n(box.h), "rx": "6",
                "fill": fill, "stroke": border, "stroke-width": "1.5"}
        if node.kind == "view":
            rect["stroke-dasharray"] = "5 3"
        ET.SubElement(group, "rect", rect)
        label = ET.SubElement(group, "text", {"x": _n(box.x + box.w / 2), "y": _n(box.y + box.h / 2), "font-size": "13",
                                              "text-anchor": "middle", "dominant-baseline": "central", "fill": INK})
        label.text = box.name
    ET.SubElement(svg, "text", {"x": str(MARGIN), "y": _n(height - MARGIN), "font-size": "11", "fill": LINE}).text = note
    return ET.tostring(svg, encoding="unicode")
