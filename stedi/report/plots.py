"""The report's charts, drawn by matplotlib into static SVG (no script, no network to view them).

Each function takes the facts (stedi/report/facts.py) and returns an SVG document as text.
matplotlib is imported here only: a run pays for it when it writes its report.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

INK, MUTED, GRID = "#1f2937", "#6b7280", "#e5e7eb"
SERIES_COLOURS = {
    "phone · landing": "#93c5fd", "phone · trusted": "#2563eb",
    "step trainer · landing": "#fdba74", "step trainer · trusted": "#ea580c",
    "machine_learning_curated": "#059669",
}
PHASE_COLOURS = ("#2563eb", "#f59e0b", "#10b981", "#8b5cf6", "#ef4444", "#06b6d4", "#84cc16", "#ec4899",
                 "#64748b", "#a16207", "#0f766e", "#9333ea")
STYLE = {
    "svg.fonttype": "none",  # text stays text: smaller files, and the page's own font
    "svg.hashsalt": "stedi",  # the same facts draw the same bytes
    "font.family": "DejaVu Sans",  # bundled with matplotlib: its metrics lay the text out
    "font.size": 9,
    "axes.edgecolor": GRID, "axes.labelcolor": MUTED, "axes.titlesize": 10, "axes.titleweight": "bold",
    "axes.titlecolor": INK, "axes.titlelocation": "left",
    "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.color": GRID, "grid.linewidth": 0.6,
    "xtick.color": MUTED, "ytick.color": MUTED, "legend.frameon": False,
}


def _figure(width: float, height: float, left: float, right: float, bottom: float, top: float) -> "Figure":
    """A figure whose axes leave these margins (inches): fixed, since a layout engine that
    measures every label costs more than drawing the chart."""
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height)
    return fig


def _svg(fig: "Figure") -> str:
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": STYLE["svg.hashsalt"], "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    # The page's own font where it has one; DejaVu Sans (whose metrics laid the text out) or any sans-serif else.
    text = text.replace("'DejaVu Sans'", "system-ui, 'DejaVu Sans', sans-serif")
    return text[text.index("<svg"):]  # no XML prolog or doctype: the page holds it


def _thousands(ax: "Axes", axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    formatter = FuncFormatter(lambda value, _: f"{value:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def readings_per_day(daily: dict) -> str:
    """Readings per day in each zone: bars side by side for a few days, lines for many."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        days, series = daily["days"], daily["series"]
        fig = _figure(7.2, 3.0, left=0.75, right=0.15, bottom=0.95 if len(days) > 4 else 0.8, top=0.35)
        ax = fig.add_subplot()
        if not days:
            ax.text(0.5, 0.5, "no readings", ha="center", va="center", color=MUTED, transform=ax.transAxes)
        elif len(days) <= 14:
            width = 0.8 / len(series)
            for i, (name, counts) in enumerate(series.items()):
                ax.bar([d + (i - (len(series) - 1) / 2) * width for d in range(len(days))], counts, width,
                       label=name, color=SERIES_COLOURS.get(name, MUTED))
            ax.set_xticks(range(len(days)), days, rotation=30 if len(days) > 4 else 0, ha="right" if len(days) > 4 else "center")
        else:
            for name, counts in series.items():
                ax.plot(range(len(days)), counts, label=name, color=SERIES_COLOURS.get(name, MUTED), linewidth=1.6)
            step = max(1, len(days) // 8)
            ax.set_xticks(range(0, len(days), step), days[::step], rotation=30, ha="right")
        ax.set_title("Readings per day (UTC), by zone")
        ax.set_ylabel("readings")
        _thousands(ax)
        if days:
            fig.legend(loc="lower center", ncol=3, fontsize=8, bbox_to_anchor=(0.5, 0.0))
        return _svg(fig)


def histogram(found: dict, colour: str = "#059669") -> str:
    """A distribution over machine_learning_curated, from its bins, with its median marked."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        fig = _figure(3.6, 2.6, left=0.7, right=0.15, bottom=0.5, top=0.35)
        ax = fig.add_subplot()
        ax.set_title(found["label"])
        if found["counts"]:
            ax.stairs(found["counts"], found["edges"], fill=True, color=colour, alpha=0.85)
            ax.axvline(found["median"], color=INK, linewidth=1, linestyle="--")
            ax.annotate(f"median {found['median']:,.2f}", (found["median"], 1), xycoords=("data", "axes fraction"),
                        xytext=(3, -10), textcoords="offset points", fontsize=8, color=INK)
        else:
            ax.text(0.5, 0.5, "no rows", ha="center", va="center", color=MUTED, transform=ax.transAxes)
        ax.set_xlabel(found["label"])
        ax.set_ylabel("rows")
        _thousands(ax)
        return _svg(fig)


def run_phases(history: list[dict]) -> str:
    """Run time by phase across the last runs: one stacked bar per run, oldest at the top."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        runs = [h for h in history if h.get("phases")] or history
        phases: list[str] = []
        for h in runs:
            phases += [p for p in h.get("phases", {}) if p not in phases]
        legend_rows = (len(phases) + 4) // 5
        bottom = 0.6 + 0.2 * legend_rows
        fig = _figure(7.2, 0.45 + bottom + 0.3 * max(1, len(runs)), left=1.75, right=0.15, bottom=bottom, top=0.35)
        ax = fig.add_subplot()
        ax.set_title("Run time by phase (seconds)")
        labels = [f"{h['run_id'][4:6]}-{h['run_id'][6:8]} {h['run_id'][9:11]}:{h['run_id'][11:13]}:{h['run_id'][13:15]}"
                  f" · {h['kind']}" for h in runs]
        y = list(range(len(runs)))[::-1]
        left = [0.0] * len(runs)
        for i, phase in enumerate(phases):
            widths = [h.get("phases", {}).get(phase, 0.0) for h in runs]
            ax.barh(y, widths, left=left, height=0.6, label=phase, color=PHASE_COLOURS[i % len(PHASE_COLOURS)])
            left = [a + b for a, b in zip(left, widths)]
        if not phases:  # records from before phases were kept: the whole run
            ax.barh(y, [h.get("seconds", 0.0) for h in runs], height=0.6, color=MUTED, label="run")
        ax.set_yticks(y, labels, fontsize=8)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("seconds")
        fig.legend(loc="lower center", ncol=5, fontsize=8, bbox_to_anchor=(0.5, 0.0))
        return _svg(fig)
