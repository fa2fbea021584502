"""The reference machine alone, driven by explicit schedules (no explorer).

Each test pins one runtime behaviour of runtime/chan.go, select.go or
stack.go as docs/architecture.md cites them.
"""

from __future__ import annotations

from helpers import Driver

from hbcheck.machine.machine import DEFAULT, PARK, Choice
from hbcheck.machine.state import DONE, FAIL, PARKED


def test_fifo_across_parked_senders_capacity_3():
    d = Driver("""
        litmus FIFO
        var c = make(chan int, 3)
        go P0 { c <- 1; c <- 2; c <- 3 }
        go S4 { c <- 4 }
        go S5 { c <- 5 }
        go S6 { c <- 6 }
        go R { a = <-c; b = <-c; e = <-c; f = <-c; g = <-c; h = <-c }
    """)
    d.run("P0", "P0", "P0", "S4", "S5", "S6")
    assert d.chan("c")["buf"] == [1, 2, 3]
    assert d.chan("c")["sendq"] == [("S4", 4), ("S5", 5), ("S6", 6)]
    assert all(d.state.gs[s].status == PARKED for s in ("S4", "S5", "S6"))
    d.step("R")  # takes the head (1); S4's 4 goes into that same slot, the new tail
    assert d.chan("c") | {} == {
        "buf": [4, 2, 3],
        "qcount": 3,
        "sendx": 1,
        "recvx": 1,
        "closed": False,
        "recvq": [],
        "sendq": [("S5", 5), ("S6", 6)],
    }
    assert d.state.gs["S4"].status == DONE
    d.run("R", "R", "R", "R", "R")
    assert d.regs("R") == {"a": 1, "b": 2, "e": 3, "f": 4, "g": 5, "h": 6}
    assert d.chan("c")["qcount"] == 0


def test_buffered_data_drained_with_ok_after_close_then_zero():
    d = Driver("""
        litmus Drain
        var c = make(chan int, 2)
        go P0 { c <- 7; c <- 8; close(c) }
        go P1 { a, oka = <-c; b, okb = <-c; z, okz = <-c }
    """)
    d.run("P0", "P0", "P0", "P1", "P1", "P1")
    assert d.regs("P1") == {"a": 7, "oka": 1, "b": 8, "okb": 1, "z": 0, "okz": 0}
    recv_ends = [e for e in d.events("recv") if e.phase == "end"]
    assert [e.closed for e in recv_ends] == [False, False, True]
    close_begin = next(e for e in d.events("close") if e.phase == "begin")
    assert recv_ends[2].src == close_begin.id  # only the drained receive synchronises with the close


def test_sender_parked_at_close_panics_in_its_own_goroutine():
    d = Driver("""
        litmus ParkedSender
        var c = make(chan int)
        go P0 {
            c <- 1
        }
        go P1 { close(c) }
    """)
    d.step("P0")
    assert d.state.gs["P0"].status == PARKED
    d.step("P1")
    assert d.state.gs["P0"].status == FAIL and d.state.end is None
    assert d.enabled() == [Choice("P0")]
    d.step("P0")
    assert (d.state.end.kind, d.state.end.g, d.state.end.text, d.state.end.line) == (
        "panic",
        "P0",
        "send on closed channel",
        4,
    )


def test_close_wakes_parked_receivers_with_zero_and_not_ok():
    d = Driver("""
        litmus WakeReceivers
        var c = make(chan int)
        go R1 { v1, ok1 = <-c }
        go R2 { v2, ok2 = <-c }
        go P { close(c) }
    """)
    d.run("R1", "R2", "P")
    assert d.regs("R1") == {"v1": 0, "ok1": 0} and d.regs("R2") == {"v2": 0, "ok2": 0}
    assert d.state.gs["R1"].status == DONE and d.state.gs["R2"].status == DONE


def test_send_case_on_closed_channel_panics_only_if_chosen():
    text = """
        litmus SelectClosed
        var c = make(chan int)
        var d = make(chan int, 1)
        go P0 { d <- 9; close(c) }
        go P1 {
            select {
            case c <- 1:
                r = 1
            case v = <-d:
                r = 2
            }
        }
    """
    d = Driver(text).run("P0", "P0")
    assert d.enabled() == [Choice("P1", 0), Choice("P1", 1)]  # both ready: the closed send case too
    d.step("P1", 1)
    assert d.state.end is None and d.regs("P1") == {"v": 9, "r": 2}
    d = Driver(text).run("P0", "P0").step("P1", 0)
    assert d.state.end.kind == "panic" and d.state.end.text == "send on closed channel"


def test_ring_indices_wrap_by_reset_not_masking():
    d = Driver("""
        litmus Ring
        var c = make(chan int, 3)
        go S { for i := 0; i < 7; i++ { c <- i } }
        go R { for j := 0; j < 7; j++ { v = <-c; s = s * 10 + v } }
    """)
    seen = []
    for g in "SSSRRSSRRSSRRR":
        d.step(g)
        ch = d.chan("c")
        seen.append((ch["sendx"], ch["recvx"], ch["qcount"]))
    # by hand: sendx/recvx advance by one and reset to 0 on reaching 3 (3 & 2 would give 2)
    assert seen == [
        (1, 0, 1),
        (2, 0, 2),
        (0, 0, 3),
        (0, 1, 2),
        (0, 2, 1),
        (1, 2, 2),
        (2, 2, 3),
        (2, 0, 2),
        (2, 1, 1),
        (0, 1, 2),
        (1, 1, 3),
        (1, 2, 2),
        (1, 0, 1),
        (1, 1, 0),
    ]
    assert d.regs("R")["s"] == 123456  # 0123456: FIFO through the wrap
    slots = [e.slot for e in d.events("send") if e.phase == "end"]
    assert slots == [0, 1, 2, 0, 1, 2, 0]


def test_waiting_receiver_gets_the_value_directly_even_when_buffered():
    d = Driver("""
        litmus Handoff
        var c = make(chan int, 2)
        go R { v = <-c }
        go S { c <- 5 }
    """)
    d.run("R", "S")
    assert d.regs("R") == {"v": 5}
    ch = d.chan("c")
    assert (ch["qcount"], ch["sendx"], ch["recvx"]) == (0, 0, 0)  # the buffer was bypassed
    send_begin = next(e for e in d.events("send") if e.phase == "begin")
    recv_end = next(e for e in d.events("recv") if e.phase == "end")
    assert recv_end.src == send_begin.id and recv_end.slot is None


def test_unbuffered_rendezvous_records_begin_and_end_pairs():
    d = Driver("""
        litmus Rendezvous
        var c = make(chan int)
        go S { c <- 3 }
        go R { v = <-c }
    """)
    d.run("S", "R")
    kinds = [(e.g, e.kind, e.phase) for e in d.state.events if e.kind in ("send", "recv")]
    assert kinds == [("S", "send", "begin"), ("R", "recv", "begin"), ("R", "recv", "end"), ("S", "send", "end")]
    s_end = next(e for e in d.events("send") if e.phase == "end")
    r_begin = next(e for e in d.events("recv") if e.phase == "begin")
    assert s_end.src == r_begin.id  # the parked send completed by the receive's begin


def test_select_parks_on_every_case_and_exactly_one_completes():
    d = Driver("""
        litmus SelectPark
        var c1 = make(chan int)
        var c2 = make(chan int)
        go P { select { case a = <-c1: r = 1; case b = <-c2: r = 2 } }
        go S1 { c1 <- 5 }
        go S2 { c2 <- 6 }
    """)
    assert d.enabled()[0] == Choice("P", PARK)
    d.step("P", PARK)
    assert d.chan("c1")["recvq"] == ["P"] and d.chan("c2")["recvq"] == ["P"]
    d.step("S1")
    assert d.regs("P") == {"a": 5, "r": 1}
    assert d.chan("c2")["recvq"] == []  # the other sudog was dequeued
    d.step("S2")
    assert d.state.gs["S2"].status == PARKED and d.chan("c2")["sendq"] == [("S2", 6)]
    assert d.enabled() == []


def test_a_select_parked_twice_in_one_queue_may_be_completed_by_either_case():
    """selectgo enqueues in lockorder, a heap sort of the random pollorder by
    channel address, so which of two cases on one channel waits first (and
    is completed by the partner, or by close) is random: one park per case."""
    text = """
        litmus SelectParkSame
        var c = make(chan int)
        var d = make(chan int)
        go P { select { case c <- 1: r = 1; case x = <-d: r = 3; case c <- 2: r = 2 } }
        go Q { s = <-c }
    """
    assert Driver(text).enabled()[0] == Choice("P", PARK)
    assert [c for c in Driver(text).enabled() if c.g == "P"] == [Choice("P", PARK), Choice("P", PARK - 1)]
    for alt, value in ((PARK, 1), (PARK - 1, 2)):
        drv = Driver(text).step("P", alt)
        assert drv.chan("c")["sendq"] == [("P", value), ("P", 3 - value)]
        drv.step("Q")
        assert (drv.regs("P")["r"], drv.regs("Q")["s"]) == (value, value)
        assert drv.chan("c")["sendq"] == [] and drv.chan("d")["recvq"] == []


def test_a_select_completes_at_the_line_of_the_case_that_ran():
    """The race detector and tracebacks name a select's case by its own line
    (select.go passes cas.pc): at once, and after a park."""
    text = """
        litmus SelectLines
        var c = make(chan int, 1)
        var d = make(chan int)
        go P {
            select {
            case c <- 1:
                r = 1
            case x = <-d:
                r = 2
            }
        }
        go Q { d <- 7 }
        go R { s = <-c }
    """
    send = Driver(text).step("P", 0)
    assert [(e.phase, e.line) for e in send.events("select")] == [("begin", 5), ("end", 6)]
    recv = Driver(text).step("Q").step("P", 1)
    assert [(e.phase, e.line) for e in recv.events("select")] == [("begin", 5), ("end", 8)]
    unbuffered = text.replace("make(chan int, 1)", "make(chan int)")
    woken_recv = Driver(unbuffered).step("P", PARK).step("Q")
    assert [(e.phase, e.line) for e in woken_recv.events("select")] == [("begin", 5), ("end", 8)]
    woken_send = Driver(unbuffered).step("P", PARK).step("R")
    assert [(e.phase, e.line) for e in woken_send.events("select")] == [("begin", 5), ("end", 6)]
    assert (woken_recv.regs("P"), woken_send.regs("P"), woken_send.regs("R")) == ({"x": 7, "r": 2}, {"r": 1}, {"s": 1})


def test_a_select_polls_for_the_race_detector_each_send_case_that_could_not_run():
    """selectgo reads a send case's channel as it polls (random order), until a
    case can run: each send case that could not is on the begin's ``polls``,
    a ready one is not (it would have run), every one when the select parks."""
    text = """
        litmus SelectPolls
        var a = make(chan int)
        var b = make(chan int, 1)
        var c = make(chan int)
        go P {
            select {
            case a <- 1:
            case b <- 2:
            case x = <-c:
            }
        }
        go Q { c <- 7 }
        go R { y = <-a }
    """

    def polls(d: Driver) -> tuple:
        return next(e.polls for e in d.events("select") if e.phase == "begin")

    assert polls(Driver(text).step("P", 1)) == (("a", 7),)  # b ran: a could not
    assert polls(Driver(text).step("R").step("P", 1)) == ()  # R waits on a: a was ready
    assert polls(Driver(text).step("Q").step("P", 2)) == (("a", 7),)  # c ran: b was ready, a not
    unbuffered = text.replace("make(chan int, 1)", "make(chan int)")
    assert polls(Driver(unbuffered).step("P", PARK)) == (("a", 7), ("b", 8))


def test_select_default_only_when_no_case_is_ready():
    text = """
        litmus SelectDefault
        var c = make(chan int, 1)
        go S { c <- 1 }
        go P { select { case v = <-c: r = 1; default: r = 2 } }
    """
    d = Driver(text)
    assert Choice("P", DEFAULT) in d.enabled() and Choice("P", 0) not in d.enabled()
    d.step("S")
    assert Choice("P", 0) in d.enabled() and Choice("P", DEFAULT) not in d.enabled()


def test_nil_channel_cases_are_never_ready():
    d = Driver("""
        litmus NilCase
        var n chan int
        go P { select { case <-n: r = 1; case n <- 1: r = 2; default: r = 3 } }
    """)
    assert d.enabled() == [Choice("P", DEFAULT)]
    d.step("P", DEFAULT)
    assert d.regs("P") == {"r": 3}


def test_lock_is_disabled_while_held_and_unlock_of_unlocked_panics():
    d = Driver("""
        litmus Locks
        var mu sync.Mutex
        go A { mu.Lock(); mu.Unlock(); mu.Unlock() }
        go B { mu.Lock() }
    """)
    d.step("A")
    assert Choice("B") not in d.enabled()
    d.step("A")
    assert Choice("B") in d.enabled()
    d.step("A")
    assert d.state.end.text == "sync: unlock of unlocked mutex"


def test_once_blocks_other_callers_until_the_function_returns():
    d = Driver("""
        litmus OnceBlocks
        var o sync.Once
        var x int
        func f { x = 1 }
        go A { o.Do(f) }
        go B { o.Do(f); r = x }
    """)
    d.step("A")  # A starts f
    assert Choice("B") not in d.enabled()
    d.run("A", "A")  # x = 1; f returns
    d.run("B", "B")
    assert d.regs("B") == {"r": 1}
    once_events = [(e.g, e.phase) for e in d.events("once")]
    assert once_events == [("A", "begin"), ("A", "end"), ("B", "begin"), ("B", "end")]


def test_waitgroup_negative_counter_panics_and_wait_needs_zero():
    # Add and Wait in one goroutine: the Wait is one step, enabled at zero
    # (tests/verdict/test_waitgroup_misuse.py has a Wait in another goroutine, which parks)
    d = Driver("""
        litmus WG
        var wg sync.WaitGroup
        func f { wg.Done(); wg.Done() }
        go A { wg.Add(1); go f(); wg.Wait() }
    """)
    d.run("A", "A")
    assert Choice("A") not in d.enabled()
    d.step("f")
    assert Choice("A") in d.enabled()
    d.step("f")
    assert d.state.end.text == "sync: negative WaitGroup counter"


def test_main_return_ends_the_program_and_spawned_instances_are_numbered():
    d = Driver("""
        litmus Spawn
        var c = make(chan int)
        func w { c <- 1 }
        go main { go w(); go w(); go w() }
    """)
    d.run("main", "main", "main")
    assert list(d.state.gs) == ["main", "w", "w#2", "w#3"]
    d.step("w#2")
    d.step("main")
    assert d.state.end.kind == "main-exit"
    starts = [(e.g, e.src) for e in d.events("start")]
    gos = [e.id for e in d.events("go")]
    assert [s for g, s in starts if g != "main"] == gos


def test_stack_splits_double_until_the_frame_fits():
    d = Driver("""
        litmus Deep
        func down frame 1024 {
            n = n + 1
            if n < 10 { down() }
        }
        go P { down() }
    """)
    splits = [e.split for e in d.events("split")]
    # (old, new, bytes copied, frames): calls 2, 4 and 8 do not fit above the 928-byte guard
    assert splits == [(2048, 4096, 1024, 1), (4096, 8192, 3072, 3), (8192, 16384, 7168, 7)]
    assert d.state.gs["P"].status == DONE and d.regs("P") == {"n": 10}


def test_stack_overflow_past_the_limit_and_the_largest_real_stack():
    d = Driver("""
        litmus Huge
        func big frame 600000000 { }
        go P { big() }
    """)
    assert d.state.gs["P"].status == FAIL
    d.step("P")
    assert d.state.end.text == "stack overflow"
    d = Driver("""
        litmus Big
        func big frame 500000000 { }
        go P { big() }
    """)
    assert [e.split[1] for e in d.events("split")] == [536870912]  # 512 MiB, one copy


def test_nil_channel_operations_block_forever():
    d = Driver("""
        litmus NilOps
        var n chan int
        go A { n <- 1 }
        go B { <-n }
        go C { select {} }
    """)
    d.run("A", "B", "C")
    waits = [d.state.gs[g].wait for g in "ABC"]
    assert waits == ["chan send (nil chan)", "chan receive (nil chan)", "select (no cases)"]
    assert d.enabled() == []


def test_the_same_schedule_replays_the_same_events():
    text = """
        litmus Replay
        var c = make(chan int, 1)
        var x int
        go A { x = 1; c <- 1; select { case c <- 2: default: } }
        go B { v = <-c; r = x }
    """
    first = Driver(text).run("B", "A", "A", "B").step("A", 0)
    again = Driver(text)
    for g, alt in first.state.schedule:
        again.step(g, alt)
    assert [e.label() for e in again.state.events] == [e.label() for e in first.state.events]
    assert again.regs("B") == first.regs("B") == {"v": 1, "r": 1}


def test_close_wakes_a_select_parked_twice_on_it_exactly_once():
    d = Driver("""
        litmus TwoCases
        var c = make(chan int)
        go P { select { case a = <-c: r = 1; case b = <-c: r = 2; case c <- 5: r = 3 } }
        go Q { close(c) }
    """)
    d.step("P", PARK).step("Q")
    ends = [e for e in d.events("select") if e.phase == "end"]
    assert [(e.case, e.ok, e.closed) for e in ends] == [(0, 0, True)]  # the first sudog in recvq wins
    assert d.regs("P") == {"a": 0, "r": 1} and d.state.gs["P"].status == DONE
