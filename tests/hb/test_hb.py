"""Happens-before graphs of chosen executions: exact edge sets, worked by hand.

Executions are fixed by driving the machine with an explicit schedule, then
recorded as the explorer records them. Event ids are looked up by label so
the expected edges read like the Go memory model's rules.
"""

from __future__ import annotations

from helpers import Driver

from hbcheck.explore.explorer import record
from hbcheck.hb import execution_graph
from hbcheck.hb.graph import edges_of


def _graph(d: Driver):
    x = record(d.machine, d.state, d.state.trace_key())
    return x, execution_graph(x, d.machine.program.caps)


def _id(x, g: str, label: str, nth: int = 0) -> int:
    found = [e.id for e in x.events if e.g == g and e.label() == label]
    return found[nth]


SYNC = ("spawn", "chan-send", "chan-close", "chan-unbuf", "chan-cap", "lock", "once", "wg", "sc", "rf")


def _sync(g) -> dict[str, set]:
    return {k: edges_of(g, k) for k in SYNC if edges_of(g, k)}


def test_unbuffered_rendezvous_edges():
    d = Driver("""
        litmus Rendezvous
        var c = make(chan int)
        go S { c <- 7 }
        go R { v = <-c }
    """).run("S", "R")
    x, g = _graph(d)
    sb, se = _id(x, "S", "send c (begin)"), _id(x, "S", "send c<-7 (end)")
    rb, re = _id(x, "R", "recv <-c (begin)"), _id(x, "R", "recv <-c=7 ok=1 (end)")
    # send.begin -> receive.end, and (unbuffered) receive.begin -> send.end: no cycle
    assert _sync(g) == {"chan-send": {(sb, re)}, "chan-unbuf": {(rb, se)}}
    assert {(sb, se), (rb, re)} <= edges_of(g, "po")


def test_capacity_two_with_four_sends_and_four_receives():
    d = Driver("""
        litmus Cap2
        var c = make(chan int, 2)
        go S { c <- 1; c <- 2; c <- 3; c <- 4 }
        go R { a = <-c; b = <-c; e = <-c; f = <-c }
    """).run("S", "S", "S", "R", "R", "S", "R", "R")
    x, g = _graph(d)
    send_end = {k: _id(x, "S", f"send c<-{k} (end)") for k in range(1, 5)}
    send_begin = {k: _id(x, "S", "send c (begin)", k - 1) for k in range(1, 5)}
    recv_begin = {k: _id(x, "R", "recv <-c (begin)", k - 1) for k in range(1, 5)}
    recv_end = {k: _id(x, "R", f"recv <-c={k} ok=1 (end)") for k in range(1, 5)}
    # send 3 parked on the full buffer; receive 1 moved its value in
    assert _sync(g) == {
        "chan-send": {(send_begin[k], recv_end[k]) for k in range(1, 5)},
        "chan-cap": {(recv_begin[1], send_end[3]), (recv_begin[2], send_end[4])},
    }


def test_close_observed_by_two_receivers():
    d = Driver("""
        litmus CloseTwo
        var c = make(chan int)
        go R1 { v1, ok1 = <-c }
        go R2 { v2, ok2 = <-c }
        go C { close(c) }
    """).run("R1", "C", "R2")
    x, g = _graph(d)
    close = _id(x, "C", "close c (begin)")
    e1 = _id(x, "R1", "recv <-c=0 ok=0 (end)")
    e2 = _id(x, "R2", "recv <-c=0 ok=0 (end)")
    assert _sync(g) == {"chan-close": {(close, e1), (close, e2)}}


def test_receive_draining_buffered_data_after_close_has_no_close_edge():
    d = Driver("""
        litmus Drain
        var c = make(chan int, 1)
        go S { c <- 5; close(c) }
        go R { a, oka = <-c; b, okb = <-c }
    """).run("S", "S", "R", "R")
    x, g = _graph(d)
    drained = _id(x, "R", "recv <-c=5 ok=1 (end)")
    closed = _id(x, "R", "recv <-c=0 ok=0 (end)")
    assert edges_of(g, "chan-close") == {(_id(x, "S", "close c (begin)"), closed)}
    assert edges_of(g, "chan-send") == {(_id(x, "S", "send c (begin)"), drained)}
    assert not any(b == drained for _a, b in edges_of(g, "chan-close"))


def test_spawn_lock_once_wg_and_atomic_edges():
    d = Driver("""
        litmus Sync
        var mu sync.Mutex
        var o sync.Once
        var wg sync.WaitGroup
        var f int
        func init { }
        func w { wg.Done() }
        go main { wg.Add(1); go w(); mu.Lock(); mu.Unlock(); o.Do(init); wg.Wait(); atomic.Store(&f, 1) }
        go Q { mu.Lock(); o.Do(init); r = atomic.Load(&f) }
    """)
    d.run("main", "main", "main", "main", "main", "Q", "main", "Q", "w", "main", "main", "Q")
    x, g = _graph(d)
    assert edges_of(g, "spawn") == {(_id(x, "main", "go w"), _id(x, "w", "start"))}
    assert edges_of(g, "lock") == {(_id(x, "main", "unlock mu"), _id(x, "Q", "lock mu"))}
    assert edges_of(g, "once") == {(_id(x, "main", "once o (end)"), _id(x, "Q", "once o (end)"))}
    assert edges_of(g, "wg") == {(_id(x, "w", "wg-done wg"), _id(x, "main", "wg-wait wg"))}
    store, load = _id(x, "main", "A.Store f=1"), _id(x, "Q", "A.Load f=1")
    assert (store, load) in edges_of(g, "rf") and edges_of(g, "sc") == {(store, load)}


def test_a_read_modify_write_reads_before_later_writes_not_before_itself():
    """An atomic Add is one event that reads and writes: from-reads relates it
    to the writes after the one it read, but not to itself (that made every
    execution with an Add cyclic under sc.cat and go-coherent.cat). The
    synchronising operations' one order is the order they ran in: starts,
    atomics, channel completions, never a begin."""
    from hbcheck.hb.relations import base_relations

    d = Driver("""
        litmus Add
        var x int
        var c = make(chan int, 1)
        go P0 { r = atomic.Add(&x, 1); c <- 1 }
        go P1 { <-c; s = atomic.Add(&x, 1) }
    """)
    d.run("P0", "P0", "P1", "P1")
    x = record(d.machine, d.state, d.state.trace_key())
    base = base_relations(x, d.machine.program.caps)
    first, second = _id(x, "P0", "A.Add x=1"), _id(x, "P1", "A.Add x=2")
    assert base["fr"] == {(first, second)}
    ran = [_id(x, "P0", "start"), _id(x, "P1", "start"), first]
    ran += [_id(x, "P0", "send c<-1 (end)"), _id(x, "P1", "recv <-c=1 ok=1 (end)"), second]
    assert base["sync-order"] == {(a, b) for i, a in enumerate(ran) for b in ran[i + 1 :]}
