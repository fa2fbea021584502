"""Stack splits are goroutine-local: they never change a verdict."""

from __future__ import annotations

from helpers import lit, program

from hbcheck.explore import explore
from hbcheck.hb import base_relations
from hbcheck.verdict import judge


def _strip(events):
    return tuple(e.label() for e in events if e.kind != "split")


def test_stack_split_never_changes_verdict():
    text = (lit("stack-split.lit")).read_text()
    assert "frame 1024" in text
    with_frames = program(text, "stack-split.lit")
    without = program(text.replace(" frame 1024", ""), "no-frames.lit")
    xa, xb = explore(with_frames), explore(without)
    ra, rb = judge(with_frames, xa), judge(without, xb)
    assert (ra.states, ra.positive, ra.negative, ra.executions, set(ra.findings)) == (
        rb.states,
        rb.positive,
        rb.negative,
        rb.executions,
        set(rb.findings),
    )
    assert [e.status for e in ra.expectations] == [e.status for e in rb.expectations] == ["pass", "pass"]
    for x in xa.executions:
        sizes = [(e.split[0], e.split[1]) for e in x.events if e.kind == "split"]
        assert sizes == [(2048, 4096), (4096, 8192), (8192, 16384)]
    assert all(e.kind != "split" for x in xb.executions for e in x.events)
    # the same executions, event for event, once the splits are set aside
    assert sorted(_strip(x.events) for x in xa.executions) == sorted(_strip(x.events) for x in xb.executions)


def test_split_events_sit_in_program_order_only():
    p = program(lit("stack-split.lit").read_text())
    x = explore(p).executions[0]
    rel = base_relations(x, p.caps)
    splits = {e.id for e in x.events if e.kind == "split"}
    for name, pairs in rel.items():
        touching = {p for p in pairs if splits & set(p)}
        if name not in ("po", "int", "ext", "id"):  # program order, goroutine membership, identity
            assert not touching, name
    assert any(splits & set(p) for p in rel["po"])
