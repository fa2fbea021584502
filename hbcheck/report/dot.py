"""The happens-before graph of a witness as Graphviz DOT: one column per
goroutine, edges coloured by kind, what the witness is about highlighted."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import networkx as nx

from hbcheck.errors import HbError

COLORS = {
    "po": "black",
    "spawn": "gray40",
    "chan-send": "blue",
    "chan-close": "purple",
    "chan-unbuf": "darkgreen",
    "chan-cap": "darkorange",
    "lock": "brown",
    "once": "teal",
    "wg": "olivedrab",
    "sc": "magenta",
    "rf": "red3",
}


def _q(text: str) -> str:
    """A DOT string literal; newlines become DOT's centred line breaks."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: nx.MultiDiGraph, title: str, highlight: list[int], pair_label: str | None = None) -> str:
    """``highlight``: events to mark (the racing pair, the panicking close...);
    with ``pair_label`` the first two are also joined by a dashed red edge."""
    lines = [
        "digraph hb {",
        f"  label={_q(title)}; labelloc=t; rankdir=TB; newrank=true;",
        '  node [shape=box, fontname="monospace", fontsize=10];',
        "  edge [fontsize=8];",
    ]
    by_g: dict[str, list[int]] = {}
    for n, data in graph.nodes(data=True):
        by_g.setdefault(data["g"], []).append(n)
    for i, (g, nodes) in enumerate(by_g.items()):
        lines.append(f"  subgraph cluster_{i} {{ label={_q(g)}; color=gray70;")
        for n in nodes:
            data = graph.nodes[n]
            label = data["label"] + (f"\nline {data['line']}" if data["line"] else "")
            attrs = [f"label={_q(label)}"]
            if n in highlight:
                role = (
                    "witness_a"
                    if n == highlight[0]
                    else "witness_b"
                    if len(highlight) > 1 and n == highlight[1]
                    else f"witness_{highlight.index(n)}"
                )
                attrs += ["color=red", "penwidth=2.5", "style=filled", 'fillcolor="#ffe0e0"', f"id={_q(role)}"]
            else:
                attrs.append(f"id={_q(f'e{n}')}")
            lines.append(f"    e{n} [{', '.join(attrs)}];")
        lines.append("  }")
    for a, b, kind in graph.edges(data="kind"):
        style = "dashed" if kind == "rf" else "solid"
        label = "" if kind == "po" else f", label={_q(kind)}"
        lines.append(f"  e{a} -> e{b} [color={COLORS.get(kind, 'black')}, style={style}{label}];")
    if pair_label and len(highlight) >= 2:
        a, b = highlight[0], highlight[1]
        lines.append(
            f"  e{a} -> e{b} [dir=both, color=red, style=dashed, penwidth=2, constraint=false, "
            f'label={_q(pair_label)}, fontcolor=red, id="witness_pair"];'
        )
    lines.append('  subgraph cluster_legend { label="edges"; color=gray80; node [shape=plaintext];')
    legend = " | ".join(f"<font color='{c}'>{k}</font>" for k, c in COLORS.items())
    lines.append(f"    legend [label=<{legend}>];")
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def picture_format(out: Path) -> str:
    """What ``out``'s name asks for: dot, svg, png or pdf."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("dot", "svg", "png", "pdf"):
        raise HbError(f"cannot write {out}: name it .dot, .svg, .png or .pdf")
    return fmt


def render(dot: str, out: Path) -> None:
    """Write ``out``: ``.dot`` as is, ``.svg``/``.png`` through Graphviz's ``dot``."""
    fmt = picture_format(out)
    if fmt == "dot":
        try:
            out.write_text(dot)
        except OSError as exc:
            raise HbError(f"cannot write {out}: {exc.strerror}") from None
        return
    exe = shutil.which("dot")
    if exe is None:
        raise HbError(
            f"Graphviz's 'dot' is not installed, so {out.name} cannot be drawn "
            "(Debian: apt-get install graphviz); a .dot file needs no Graphviz"
        )
    done = subprocess.run([exe, f"-T{fmt}", "-o", str(out)], input=dot.encode(), capture_output=True, check=False)
    if done.returncode != 0:
        raise HbError(f"dot failed: {done.stderr.decode(errors='replace').strip()}")
