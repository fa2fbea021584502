"""Random race-free-ish .lit programs for property tests (hypothesis).

2-4 goroutines of up to a few statements each, over channels of capacity
0-2, close, select with and without default, a mutex, registers and
branches. Programs may deadlock or panic: those are findings to agree on.
"""

from __future__ import annotations

from hypothesis import strategies as st

CHANS = ("a", "b")
REGS = ("r", "s")


# what the reduced search must get right beyond channels: plain memory,
# wait groups, once, bounded loops, asserts, division, spawning, main's exit
RICH = ["load", "store", "wg-add", "wg-done", "wg-wait", "once", "loop", "while", "assert", "div", "spawn"]


@st.composite
def statement(draw, depth: int = 0, rich: bool = False) -> str:
    # Each part is drawn only where the statement uses it: a draw the text
    # ignores lets two choice sequences give one program, which hypothesis then
    # runs twice (12% of a stress run's examples were repeats; none of 3,000
    # drawn here are). Close, rarer than the others so that fewer programs
    # panic at once, shares a kind with the receive that sees it.
    options = ["send", "recv", "closing", "select", "lock", "assign", "atomic", "in-expr"]
    if depth == 0:
        options += ["if"] + (RICH if rich else [])
    kind = draw(st.sampled_from(options))
    if kind == "closing":
        kind = "close" if draw(st.booleans()) else "recv-ok"

    def chan() -> str:
        return draw(st.sampled_from(CHANS))

    def reg() -> str:
        return draw(st.sampled_from(REGS))

    def k() -> int:
        return draw(st.integers(0, 2))

    match kind:
        case "load":
            return f"{reg()} = x"
        case "store":
            return f"x = {reg()}"
        case "wg-add":
            return "wg.Add(1)"
        case "wg-done":
            return "wg.Done()"
        case "wg-wait":
            return "wg.Wait()"
        case "once":
            return "o.Do(setup)"
        case "loop":
            return f"for k := 0; k < 2; k++ {{ {draw(statement(depth + 1))} }}"
        case "while":  # may run past the unroll bound: a cut execution
            return f"for x < 2 {{ {draw(statement(depth + 1))} }}"
        case "assert":
            return f"assert {reg()} != {k()}"
        case "div":
            r = reg()
            return f"{r} = 6 / {r}"
        case "spawn":
            return "go worker()"
        case "send":
            return f"{chan()} <- {k()}"
        case "recv":
            # into x too: the store after the receive is a step of its own, which
            # z3 once made one with the receive (a state lost between them)
            target = draw(st.sampled_from([*REGS, "x"]))
            return f"{target} = <-{chan()}"
        case "recv-ok":
            return f"{reg()}, ok = <-{chan()}"
        case "close":
            return f"close({chan()})"
        case "lock":
            return "mu.Lock(); x = x + 1; mu.Unlock()"
        case "assign":
            r = reg()
            return f"{r} = {r} + {k()}"
        case "atomic":
            return f"{reg()} = atomic.Add(&n, {k()})"
        case "in-expr":  # receives and atomics inside expressions, left to right
            r, c = reg(), chan()
            return draw(
                st.sampled_from(
                    [
                        f"{r} = {r} + <-{c}",
                        f"if <-{c} == {k()} {{ {r} = 1 }}",
                        f"{r} = atomic.Load(&n) + atomic.Add(&n, {k()})",
                        f"{draw(st.sampled_from(CHANS))} <- <-{c} + 1",
                        f"if atomic.Load(&n) > {k()} && <-{c} == 0 {{ {r} = 2 }}",
                    ]
                )
            )
        case "select":
            # rich: no case at all, maybe, so select {} (a wait with no event of its
            # own, which once left z3 a place to stop with another branch's registers)
            r, cases = reg(), []
            for _ in range(draw(st.integers(0 if rich else 1, 2))):
                c = chan()
                if draw(st.booleans()):
                    cases.append(f"case {c} <- {k()}: {r} = {r} + 1")
                else:
                    cases.append(f"case {r} = <-{c}:")
            if draw(st.booleans()):
                cases.append(f"default: {r} = 9")
            return "select { " + "; ".join(cases) + " }" if cases else "select {}"
        case _:
            cond = f"{reg()} == {k()}"
            then = draw(statement(depth + 1, rich))
            other = draw(statement(depth + 1, rich))
            return f"if {cond} {{ {then} }} else {{ {other} }}"


@st.composite
def program_text(
    draw,
    max_goroutines: int = 3,
    max_statements: int = 3,
    rich: bool = False,
    on_variables: bool = False,
    main: bool | None = None,
) -> str:
    """With ``rich``, also the statements in ``RICH``; with ``on_variables``,
    the condition reads only shared variables. P0 is ``main`` with ``main``
    (whose return stops the others where they are: a sender or a select a
    close woke, before it runs again), maybe ``main`` by default when rich."""
    caps = [draw(st.integers(0, 2)) for _ in CHANS]
    lines = ["litmus Random", "var x int", "var n int", "var mu sync.Mutex"]
    lines += [f"var {c} = make(chan int, {cap})" for c, cap in zip(CHANS, caps)]
    if rich:
        lines += ["var y int", "var wg sync.WaitGroup", "var o sync.Once", "func setup { y = y + 1 }"]
        lines += [f"func worker {{ {draw(statement())} }}"]
    count = draw(st.integers(2, max_goroutines))
    main = (rich and draw(st.booleans())) if main is None else main
    for i in range(count):
        body = [draw(statement(rich=rich)) for _ in range(draw(st.integers(1, max_statements)))]
        lines.append(f"go {'main' if main and i == 0 else f'P{i}'} {{")
        lines += ["    r = 0"] + [f"    {s}" for s in body]
        lines.append("}")
    reg = ""  # a draw only where the text uses it
    if not on_variables:
        reg = f"P{draw(st.integers(1 if main else 0, count - 1))}:r == {draw(st.integers(0, 2))} && "
    lines.append(f"exists ({reg}x == {draw(st.integers(0, 2))})")
    return "\n".join(lines) + "\n"


@st.composite
def spawning_text(draw) -> str:
    """P0 starts worker two or three times among its statements, or in a
    counted loop (instances worker, worker#2, worker#3), beside one other
    goroutine, which may start it too (then the names follow the run); the
    condition reads an instance's register."""
    caps = [draw(st.integers(0, 2)) for _ in CHANS]
    lines = ["litmus Spawns", "var x int", "var n int", "var mu sync.Mutex"]
    lines += [f"var {c} = make(chan int, {cap})" for c, cap in zip(CHANS, caps)]
    lines.append(f"func worker {{ r = 0; {draw(statement())}; {draw(statement())} }}")
    spawns = draw(st.integers(2, 3))
    body = [draw(statement()) for _ in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):  # in an unrolled loop, beside what each iteration does
        step = f"{draw(statement())}; go worker()" if draw(st.booleans()) else "go worker()"
        body.insert(draw(st.integers(0, len(body))), f"for k := 0; k < {spawns}; k++ {{ {step} }}")
    else:
        for _ in range(spawns):
            body.insert(draw(st.integers(0, len(body))), "go worker()")
    lines += ["go P0 {", "    r = 0"] + [f"    {s}" for s in body] + ["}"]
    other = [draw(statement()) for _ in range(draw(st.integers(1, 3)))]
    if draw(st.booleans()):  # P1 starts it too, maybe only on one branch: names follow the run
        go = "go worker()" if draw(st.booleans()) else f"if r == {draw(st.integers(0, 2))} {{ go worker() }}"
        other.insert(draw(st.integers(0, len(other))), go)
        spawns += 1
    lines += ["go P1 {", "    r = 0"] + [f"    {s}" for s in other] + ["}"]
    who = draw(st.sampled_from(["worker", "worker#2"] + [f"worker#{k}" for k in range(3, spawns + 1)]))
    lines.append(f"exists ({who}:r == {draw(st.integers(0, 2))} && x == {draw(st.integers(0, 2))})")
    return "\n".join(lines) + "\n"


@st.composite
def shaped_statement(draw, depth: int = 0, spawn: bool = True) -> str:
    """The shapes real programs use and ``statement`` does not write: select
    cases whose bodies send, receive, close, lock or start goroutines, nested
    selects, loops around a select, goroutines started from anywhere (but
    the worker itself: a worker that starts workers never ends)."""
    options = ["send", "recv", "close", "lock", "select", "assign"] + (["go"] if spawn else [])
    if depth == 0:
        options += ["for-select", "if"]
    kind = draw(st.sampled_from(options))

    def chan() -> str:
        return draw(st.sampled_from((*CHANS, "done")))

    def k() -> int:
        return draw(st.integers(0, 2))

    def body() -> str:
        return draw(shaped_statement(depth + 1, spawn)) if depth < 2 and draw(st.booleans()) else ""

    match kind:
        case "send":
            return f"{chan()} <- {k()}"
        case "recv":
            return f"r = <-{chan()}"
        case "close":
            return f"close({chan()})"
        case "lock":
            return "mu.Lock(); x = x + 1; mu.Unlock()"
        case "go":
            return "go worker()"
        case "assign":
            return f"s = s + {k()}"
        case "select" | "for-select":
            cases = []
            for _ in range(draw(st.integers(1, 3))):
                c = chan()
                head = f"case {c} <- {k()}:" if draw(st.booleans()) else f"case r = <-{c}:"
                cases.append(f"{head} {body()}")
            if draw(st.integers(0, 3)) == 0:  # two cases alike: which one ran shows in no event
                cases.append(cases[-1])
            if draw(st.integers(0, 3)) == 0:
                cases.append(f"default: {body()}")
            sel = "select { " + "; ".join(cases) + " }"
            return f"for k := 0; k < 2; k++ {{ {sel} }}" if kind == "for-select" else sel
        case _:
            return f"if r == {k()} {{ {draw(shaped_statement(depth + 1, spawn))} }} else {{ {body()} }}"


@st.composite
def shaped_text(draw, max_goroutines: int = 3, max_statements: int = 4) -> str:
    """Two or three goroutines (the first may be ``main``) and a worker any of
    them may start, over channels of capacity 0-2, a ``done`` channel, a mutex;
    the condition reads a variable and a top-level goroutine's register."""
    caps = [draw(st.integers(0, 2)) for _ in (*CHANS, "done")]
    lines = ["litmus Shaped", "var x int", "var mu sync.Mutex"]
    lines += [f"var {c} = make(chan int, {cap})" for c, cap in zip((*CHANS, "done"), caps)]
    worker = "; ".join(draw(shaped_statement(1, spawn=False)) for _ in range(draw(st.integers(1, 2))))
    lines.append(f"func worker {{ {worker} }}")
    count = draw(st.integers(2, max_goroutines))
    main = draw(st.booleans())
    for i in range(count):
        body = [draw(shaped_statement()) for _ in range(draw(st.integers(1, max_statements)))]
        lines.append(f"go {'main' if main and i == 0 else f'P{i}'} {{")
        lines += ["    r = 0", "    s = 0"] + [f"    {s}" for s in body]
        lines.append("}")
    who = "main" if main else "P0"
    lines.append(f"exists ({who}:s == {draw(st.integers(0, 2))} && x == {draw(st.integers(0, 2))})")
    return "\n".join(lines) + "\n"


@st.composite
def memory_text(draw) -> str:
    """Random memory-only programs: plain and atomic variables (x and y both ways), branches, counted loops,
    critical sections."""
    lines = ["litmus RandomMemory", "var x int", "var y int", "var n int", "var mu sync.Mutex"]
    for i in range(draw(st.integers(2, 3))):
        body = ["r = 0"]
        for _ in range(draw(st.integers(1, 4))):
            # the form first, then only the parts it uses (no two draws give one text)
            form = draw(
                st.sampled_from(
                    [
                        "{var} = {k}",
                        "r = {var}",
                        "r = r + {var}",
                        "{var} = r + {k}",
                        "s = atomic.Add(&n, {k})",
                        "atomic.Store(&n, {k})",
                        "s = atomic.Load(&n)",
                        "if r == {k} {{ {var} = {k} }} else {{ s = {var} }}",
                        "for i := 0; i < 2; i++ {{ r = r + {k} }}",
                        "s = atomic.CompareAndSwap(&n, {k}, 2)",
                        # one variable accessed plainly and atomically (a flag set
                        # atomically and read plainly: a race, as Go reports it)
                        "atomic.Store(&{var}, {k})",
                        "s = atomic.Add(&{var}, {k})",
                        "s = atomic.Load(&{var})",
                    ]
                )
            )
            var = draw(st.sampled_from(["x", "y"])) if "{var}" in form else ""
            k = draw(st.integers(0, 2)) if "{k}" in form else 0
            body.append(form.format(var=var, k=k))
        lines.append(f"go P{i} {{ " + "; ".join(body) + " }")
    lines.append(f"exists (P0:r == {draw(st.integers(0, 2))} && x == {draw(st.integers(0, 2))})")
    return "\n".join(lines) + "\n"


@st.composite
def waitgroup_text(draw) -> str:
    """A wait group Added to, Done and Waited on from two or three goroutines
    and a worker they start (main, maybe, first): Adds racing with Waits,
    a Wait reused before it returned, an Add from zero in a releasing Add's
    window, beside a plain variable the Wait should order and a channel."""
    cap = draw(st.integers(0, 1))
    lines = ["litmus RandomWaitGroup", "var x int", "var wg sync.WaitGroup", f"var a = make(chan int, {cap})"]
    forms = ["wg.Add(1)", "wg.Add(2)", "wg.Done()", "wg.Wait()", "x = x + 1", "r = x", "a <- 1", "r = <-a"]
    worker = "; ".join(draw(st.sampled_from(forms)) for _ in range(draw(st.integers(1, 2))))
    lines.append(f"func worker {{ {worker} }}")
    main = draw(st.booleans())
    count = draw(st.integers(2, 3))
    bodies = [
        [draw(st.sampled_from([*forms, "go worker()"])) for _ in range(draw(st.integers(1, 3)))] for _ in range(count)
    ]
    if draw(st.booleans()):  # an Add in one goroutine, a Wait in another: where misuse lives
        adder, waiter = draw(st.permutations(range(count)))[:2]
        bodies[adder].insert(draw(st.integers(0, len(bodies[adder]))), "wg.Add(1)")
        bodies[waiter].insert(draw(st.integers(0, len(bodies[waiter]))), "wg.Wait()")
    for i, body in enumerate(bodies):
        lines.append(f"go {'main' if main and i == 0 else f'P{i}'} {{ r = 0; " + "; ".join(body) + " }")
    who = draw(st.integers(1 if main else 0, count - 1))
    lines.append(f"exists (P{who}:r == {draw(st.integers(0, 1))} && x == {draw(st.integers(0, 2))})")
    return "\n".join(lines) + "\n"


@st.composite
def cut_text(draw) -> str:
    """main and goroutines whose loops may pass the unroll bound, with
    statements after the loop: where main returns first, a goroutine may be
    left anywhere, just before its loop's cut included (z3 once gave it the
    registers of its end there). The condition reads those registers."""
    lines = [
        "litmus Cut",
        "var x int",
        "var n int",
        "var mu sync.Mutex",
        "var a = make(chan int, 2)",
        "var b = make(chan int)",
    ]
    writes = ["x = x + 1", "mu.Lock(); x = x + 1; mu.Unlock()", "a <- 1", "r = x", "x = 2"]
    body = [draw(st.sampled_from(writes)) for _ in range(draw(st.integers(1, 3)))]
    lines += ["go main {"] + [f"    {s}" for s in body] + ["}"]
    count = draw(st.integers(1, 2))
    for i in range(1, count + 1):
        before = draw(st.sampled_from(["", "r = 1; ", "s = x; "]))
        step = draw(st.sampled_from(["r = r + 2", "r = x", "s = s + 1", "a <- 0", "mu.Lock(); r = r + 1; mu.Unlock()"]))
        after = [draw(st.sampled_from(["r = 5", "s = 9", "r = r + 1", "select { case s = <-a:; default: s = 7 }"]))]
        after = after[: draw(st.integers(0, 1))] + [draw(statement())] * draw(st.integers(0, 1))
        lines += (
            [f"go P{i} {{", "    r = 0; s = 0", f"    {before}for x < 2 {{ {step} }}"]
            + [f"    {s}" for s in after]
            + ["}"]
        )
    who = draw(st.integers(1, count))
    lines.append(f"exists (P{who}:r == {draw(st.integers(0, 16))} && P{who}:s == {draw(st.integers(0, 9))})")
    return "\n".join(lines) + "\n"


@st.composite
def function_text(draw) -> str:
    """A function with a Go signature (an int, a channel and a mutex by
    pointer; an int result) whose body runs drawn statements and returns from
    a drawn place (an if, a loop or a select case), called inside expressions
    by two goroutines with different channels and started with ``go`` with
    arguments the spawner reads; a paren-less function beside it."""
    caps = [draw(st.integers(0, 2)) for _ in CHANS]
    lines = ["litmus Functions", "var x int", "var n int", "var mu sync.Mutex"]
    lines += [f"var {c} = make(chan int, {cap})" for c, cap in zip(CHANS, caps)]
    body = [draw(statement()) for _ in range(draw(st.integers(1, 2)))]
    early = draw(st.sampled_from(["if", "loop", "select", "none"]))
    if early == "if":
        body.insert(draw(st.integers(0, len(body))), f"if r == {draw(st.integers(0, 2))} {{ return k }}")
    elif early == "loop":
        body.insert(draw(st.integers(0, len(body))), "for i := 0; i < 2; i++ { r = r + 1; if r > k { return r } }")
    elif early == "select":
        body.insert(
            draw(st.integers(0, len(body))), "select { case v = <-c: return v + k; case c <- k: r = r + 1; default: }"
        )
    lines.append("func work(k int, c chan int, m *sync.Mutex) int {")
    lines += ["    m.Lock(); x = x + k; m.Unlock()"] + [f"    {s}" for s in body] + ["    return r + k", "}"]
    lines.append("func bump { s = s + 1 }")
    first, second = draw(st.permutations(CHANS))
    lines.append("go P0 {")
    lines.append(f"    r = work(1, {first}, &mu) + s")
    lines.append(draw(st.sampled_from(["    bump()", f"    go work(x, {second}, &mu)", "    s = x"])))
    lines.append("}")
    lines.append("go P1 {")
    lines.append(f"    if work(2, {second}, &mu) == {draw(st.integers(0, 3))} {{ s = 1 }}")
    lines.append(f"    {draw(statement())}")
    lines.append("}")
    lines.append(f"exists (P0:r == {draw(st.integers(0, 3))} && P1:s == {draw(st.integers(0, 1))})")
    return "\n".join(lines) + "\n"


# defer_text's handlers: each defines ``handler`` (and what it calls)
_HANDLERS = {
    "recovers": ["func handler() { if recover() != nil { y = y + 1 } }"],
    "too deep": ["func check() { if recover() != nil { y = y + 1 } }", "func handler() { check() }"],
    "calls a deferring function": [
        "func tidy() { defer put(1) }",
        "func handler() { tidy(); if recover() != nil { y = y + 1 } }",
    ],
    "calls a deferring function, no recover": ["func tidy() { defer put(1) }", "func handler() { tidy(); y = y + 1 }"],
    "panics again": ['func handler() { if recover() != nil { y = y + 1; panic("again") } }'],
}


@st.composite
def defer_text(draw) -> str:
    """Deferred calls and panics: two workers defer a Done, maybe a handler
    (one that recovers, one whose recover() is a call too deep and stops
    nothing, one that first calls a function with a deferred call of its
    own, with or without recovering, one that panics again once it recovered), an unlock (or unlock by
    hand, so an early return keeps the lock), a call with an argument read
    at the defer, a close (twice: a panic in a deferred call), a second
    handler or recover() deferred itself; their bodies return early, panic,
    send and close; main waits for them or not."""
    lines = ["litmus Defers", "var x int", "var y int", "var mu sync.Mutex", "var wg sync.WaitGroup"]
    lines.append(f"var c = make(chan int, {draw(st.integers(0, 1))})")
    lines.append("func put(k int) { x = x + k }")
    lines += draw(st.sampled_from(list(_HANDLERS.values())))
    lines.append("func work(k int) {")
    lines.append("    defer wg.Done()")
    if draw(st.booleans()):
        lines.append("    defer handler()")
    lines.append("    mu.Lock()")
    by_hand = draw(st.booleans())
    if not by_hand:
        lines.append("    defer mu.Unlock()")
    extras = ["defer put(k)", "defer close(c)", "defer put(x)", "defer handler()", "defer recover()"]
    for extra in draw(st.lists(st.sampled_from(extras), max_size=2)):
        lines.append(f"    {extra}")
    body = [
        "x = x + k",
        "if x > 1 { return }",
        'if x == k { panic("boom") }',
        "c <- k",
        "close(c)",
        "select { case c <- k: default: }",
        "if rand.Intn(2) == 0 { return }",
    ]
    lines += [f"    {b}" for b in draw(st.lists(st.sampled_from(body), min_size=1, max_size=3))]
    if by_hand:
        lines.append("    mu.Unlock()")
    lines.append("}")
    lines.append("go main {")
    lines.append("    wg.Add(2)")
    lines.append("    go work(1)")
    lines.append("    go work(2)")
    if draw(st.booleans()):
        lines.append("    wg.Wait()")
    lines.append("    r = x")
    lines.append("}")
    lines.append(f"exists (main:r == {draw(st.integers(0, 3))} && y == {draw(st.integers(0, 1))})")
    return "\n".join(lines) + "\n"


@st.composite
def closure_text(draw) -> str:
    """Function literals: main (or a worker with parameters) starts closures
    in a loop or alone, capturing the loop variable, a local and a parameter
    by reference (one location per declaration; per iteration since Go
    1.22, per loop with ``go 1.21``); the closures read, write, send and
    access them atomically (mixed with plain accesses),
    a deferred closure recovers or reads a variable at the return; the
    closure is a literal started where it is written or a function value
    started by name; the spawner changes what it shared, waits or not."""
    version = draw(st.sampled_from(["", "go 1.21\n"]))
    lines = [f"litmus Closures\n{version}var x int", "var wg sync.WaitGroup", "var mu sync.Mutex"]
    loop = draw(st.sampled_from(["for", "range", "once"]))
    # a range's two values are sent before it runs
    lines.append(f"var c = make(chan int, {2 if loop == 'range' else draw(st.integers(0, 2))})")
    inner = [
        "x = x + i",
        "n = n + i",
        "r = n",
        "c <- i",
        "mu.Lock(); n = n + 1; mu.Unlock()",
        "if n > 1 { return }",
        'if i == 1 { panic("boom") }',
        "i = i + 10",
        "atomic.Add(&n, i)",
        "r = atomic.Load(&n) + i",
    ]
    body = draw(st.lists(st.sampled_from(inner), min_size=1, max_size=2))
    recovers = draw(st.booleans())
    closure = ["        defer wg.Done()"]
    if recovers:
        closure.append("        defer func() { if recover() != nil { x = x + 100 } }()")
    closure += [f"        {b}" for b in body]
    worker = draw(st.booleans())
    owner = "func spawn(n int, c chan int) {" if worker else "go main {"
    lines.append(owner)
    if not worker:
        lines.append(f"    n := {draw(st.integers(0, 1))}")
    if loop == "for":
        lines.append("    for i := 0; i < 2; i++ {")
    elif loop == "range":
        lines.append("    for i := range c {")
    else:
        lines.append("    i := 1")
        lines.append("    {")
    lines.append("        wg.Add(1)")
    if draw(st.booleans()):
        lines.append("        go func() {")
        lines += ["    " + ln for ln in closure]
        lines.append("        }()")
    else:  # a function value, started by name
        lines.append("        work := func() {")
        lines += ["    " + ln for ln in closure]
        lines.append("        }")
        lines.append("        go work()")
    after = draw(st.lists(st.sampled_from(["n = n + 1", "s = n", "x = i", "atomic.Store(&n, 5)"]), max_size=1))
    lines += [f"        {a}" for a in after]
    lines.append("    }")
    if draw(st.booleans()):
        lines.append("    defer func() { t = n }()")
    if worker:
        lines.append("    wg.Wait()")
        lines.append("}")
        lines.append("go main {")
        if loop == "range":
            lines.append("    c <- 1; c <- 2; close(c)")
        lines.append("    spawn(1, c)")
        lines.append("    r = x")
        lines.append("}")
        lines.append(f"exists (main:r == {draw(st.integers(0, 3))})")
    else:
        if loop == "range":
            lines.insert(lines.index("    for i := range c {"), "    c <- 1; c <- 2; close(c)")
        if draw(st.booleans()):
            lines.append("    wg.Wait()")
        lines.append("    r = x")
        lines.append("}")
        lines.append(f"exists (main:r == {draw(st.integers(0, 3))} && main:n == {draw(st.integers(0, 3))})")
    text = "\n".join(lines) + "\n"
    return text.replace("    {\n", "    if true {\n")


@st.composite
def array_text(draw) -> str:
    """Shared arrays: elements written and read at constant indices and at
    indices computed from registers and memory (an element of its own, or
    the same one as another goroutine: a race on that element only), under
    a mutex or not, in a loop over the array, sent and received, with a
    computed index that may fall out of range (Go's run-time panic); some
    goroutines have a local array ``b`` of their own (registers: copied
    from and to the shared one, ranged over, measured); the condition reads
    elements."""
    n = draw(st.integers(1, 3))
    lines = ["litmus Arrays", f"var a [{n}]int", "var x int", "var mu sync.Mutex", "var c = make(chan int, 1)"]
    parts = [
        "a[{k}] = {v}",
        "r = a[{k}]",
        "a[{k}] = a[{k}] + 1",
        "mu.Lock(); a[{k}] = a[{k}] + {v}; mu.Unlock()",
        "s = {v}; a[s] = x",
        "s = x + {k}; r = a[s]",
        "for i := 0; i < {n}; i++ {{ a[i] = a[i] + {v} }}",
        "select {{ case c <- a[{k}]: ; default: }}",
        "select {{ case r = <-c: a[r % {n}] = {v}; default: }}",
        "x = a[{k}]",
    ]
    local = [
        "b[{k}] = a[{k}] + {v}",
        "a[{k}] = b[{k}] + {v}",
        "r = r + b[{k}] + len(b)",
        "s = x + {k}; b[s] = {v}",
        "for i, w := range b {{ r = r * 3 + i + w; b[i] = {v} }}",
        "for i := range b {{ if i == {k} {{ break }}; b[i] = a[i] }}",
    ]
    for g in range(draw(st.integers(2, 3))):
        lines.append(f"go P{g} {{")
        lines.append("    r = 0")
        has_local = draw(st.booleans())
        if has_local:
            lines.append(f"    var b [{n}]int")
        for part in draw(st.lists(st.sampled_from(parts + (local if has_local else [])), min_size=1, max_size=3)):
            # a computed index (s = 2 on a [2]int) may fall past the end: a panic to agree on
            k = draw(st.integers(0, n - 1))
            lines.append("    " + part.format(k=k, v=draw(st.integers(1, 2)), n=n))
        lines.append("}")
    lines.append(f"exists (a[0] == {draw(st.integers(0, 2))} && P0:r == {draw(st.integers(0, 2))})")
    return "\n".join(lines) + "\n"


def _workers(draw, lines: list[str], parts: list[str]) -> str:
    """Two or three goroutines of one to three drawn ``parts`` (``{k}`` a key
    or index 0-2, ``{v}`` a value 1-2), and a condition on P0's ``r`` and ``x``."""
    for g in range(draw(st.integers(2, 3))):
        lines.append(f"go P{g} {{")
        lines.append("    r = 0")
        for part in draw(st.lists(st.sampled_from(parts), min_size=1, max_size=3)):
            lines.append("    " + part.format(k=draw(st.integers(0, 2)), v=draw(st.integers(1, 2))))
        lines.append("}")
    lines.append(f"exists (P0:r == {draw(st.integers(0, 3))} && x == {draw(st.integers(0, 2))})")
    return "\n".join(lines) + "\n"


@st.composite
def slice_text(draw) -> str:
    """A shared slice (made, or nil) appended to, indexed (in range or not: Go's
    panic), measured, ranged over and re-made by goroutines under a mutex or
    not: a race on the header, and on elements an append's copy reads."""
    made = draw(st.booleans())
    decl = f"var s = make([]int, {draw(st.integers(0, 2))}, 2)" if made else "var s []int"
    lines = ["litmus Slices", decl, "var x int", "var mu sync.Mutex"]
    parts = [
        "s = append(s, {v})",
        "mu.Lock(); s = append(s, {v}); mu.Unlock()",
        "s = append(s, {v}, x)",
        "r = s[{k}]",
        "s[{k}] = {v}",
        "mu.Lock(); if len(s) > {k} {{ s[{k}] = s[{k}] + {v} }}; mu.Unlock()",
        "r = len(s) * 10 + cap(s)",
        "for i, v := range s {{ r = r * 3 + i + v }}",
        "mu.Lock(); for _, v := range s {{ r = r + v }}; mu.Unlock()",
        "s = make([]int, {k})",
        "s = nil",
        "x = {v}",
    ]
    return _workers(draw, lines, parts)


@st.composite
def slice_value_text(draw) -> str:
    """Slices as values: a shared slice copied into goroutines' variables,
    passed to functions that read it or return an append to it, appended to
    through a copy (which may write the shared backing array), a closure
    reading a captured copy, and a slice of channels: two names holding one
    array reach the same elements."""
    made = draw(st.booleans())
    decl = f"var s = make([]int, {draw(st.integers(0, 2))}, 2)" if made else "var s []int"
    lines = [
        "litmus SliceValues",
        decl,
        "var x int",
        "var mu sync.Mutex",
        "func first(t []int) int {",
        "    if len(t) > 0 { return t[0] }",
        "    return 3",
        "}",
        "func grow(t []int, v int) []int {",
        "    return append(t, v)",
        "}",
    ]
    parts = [
        "t := s; t = append(t, {v}); r = len(t)",
        "t := grow(s, {v}); s = t",
        "mu.Lock(); s = grow(s, {v}); mu.Unlock()",
        "r = first(s)",
        "t := s; if len(t) > {k} {{ t[{k}] = {v} }}",
        "t := make([]int, {k}, 2); t = append(t, {v}); s = t",
        "t := s; go func() {{ x = first(t) }}()",
        "cs := make([]chan int, 1); cs[0] = make(chan int, 1); c := cs[0]; c <- {v}; r = <-c",
        "x = {v}",
    ]
    return _workers(draw, lines, parts)


@st.composite
def map_value_text(draw) -> str:
    """Maps as values: a shared map (made, or nil) passed to functions that
    write, read, delete or range over it, maps made in bodies and returned,
    a closure writing a captured one, and a goroutine copying one map into
    another: two names holding one map reach the same entries and flag."""
    made = draw(st.booleans()) or draw(st.booleans())
    lines = [
        "litmus MapValues",
        "var m = make(map[int]int)" if made else "var m map[int]int",
        "var x int",
        "var mu sync.Mutex",
        "func put(t map[int]int, k int, v int) {",
        "    t[k] = v",
        "}",
        "func sum(t map[int]int) int {",
        "    s := 0",
        "    for k, v := range t { s = s * 3 + k + v }",
        "    return s",
        "}",
        "func fresh(k int) map[int]int {",
        "    t := make(map[int]int)",
        "    t[k] = 1",
        "    return t",
        "}",
    ]
    parts = [
        "put(m, {k}, {v})",
        "mu.Lock(); put(m, {k}, {v}); mu.Unlock()",
        "r = sum(m)",
        "t := m; r = t[{k}]",
        "t := m; delete(t, {k})",
        "t := fresh({k}); r = sum(t) + len(t)",
        "t := fresh({k}); for k, v := range m {{ t[k] = v }}; r = len(t)",
        "t := m; go func() {{ t[{k}] = {v} }}()",
        "x = {v}",
    ]
    return _workers(draw, lines, parts)


@st.composite
def map_text(draw) -> str:
    """A shared map (made, or nil: a write panics) written, read, deleted,
    measured and ranged over by goroutines under a mutex or not: where a
    write's two steps overlap another operation, Go's fatal errors; a range's
    order is every order, and it meets entries added or deleted meanwhile."""
    made = draw(st.booleans()) or draw(st.booleans())
    lines = [
        "litmus Maps",
        "var m = make(map[int]int)" if made else "var m map[int]int",
        "var x int",
        "var mu sync.Mutex",
    ]
    parts = [
        "m[{k}] = {v}",
        "r = m[{k}]",
        "m[{k}] = m[{k}] + 1",
        "mu.Lock(); m[{k}] = m[{k}] + {v}; mu.Unlock()",
        "mu.Lock(); r = m[{k}]; mu.Unlock()",
        "s, ok := m[{k}]; r = r + s + ok",
        "delete(m, {k})",
        "mu.Lock(); delete(m, {k}); mu.Unlock()",
        "r = len(m)",
        "for k, v := range m {{ r = r * 3 + k + v }}",
        "mu.Lock(); for k := range m {{ r = r * 3 + k }}; mu.Unlock()",
        "for k := range m {{ if k == {k} {{ delete(m, k) }} }}",
        "x = m[{k}]",
    ]
    return _workers(draw, lines, parts)


# Functions with Go signatures (parameters, results, return anywhere, calls in
# expressions, go f(args)): the engines must agree on each, and each must
# build as Go (tests/smt/test_funcs_smt.py, tests/realgo/test_funcs_go.py)
FUNCTION_PROGRAMS = {
    "recursion": """
        litmus Fib
        var x int
        func fib(n int) int {
          if n < 2 { return n }
          return fib(n - 1) + fib(n - 2)
        }
        go P { r = fib(5); x = r }
        go Q { s = x }
        exists (P:r == 5 && Q:s == 5)
        """,
    "frames": """
        litmus Frames
        func down(n int) int {
          r = n * 10
          if n > 0 { s = down(n - 1) }
          return r + s
        }
        go P { r = 7; t = down(3) }
        exists (P:r == 7 && P:t == 60)
        """,
    "loop-return": """
        litmus Loop
        var c = make(chan int, 3)
        func first(c chan int) int {
          for i := 0; i < 3; i++ {
            v = <-c
            if v >= 2 { return v }
          }
          return -1
        }
        go P { c <- 1; c <- 2; c <- 3 }
        go Q { r = first(c) }
        exists (Q:r == 2)
        """,
    "select-return": """
        litmus Sel
        var a = make(chan int, 1)
        var b = make(chan int, 1)
        func pick(a chan int, b chan int) int {
          select {
          case v = <-a:
            return v
          case v = <-b:
            return v + 10
          }
        }
        go P { a <- 1 }
        go Q { b <- 2 }
        go R { r = pick(a, b) }
        exists (R:r == 1)
        """,
    "go-args": """
        litmus GoArgs
        var x = 1
        func w(v int) { r = x + v }
        go P { s = 5; go w(x + s); x = 2; s = 6 }
        exists (w:r == 7)
        """,
    "left-to-right": """
        litmus Order
        var x = 0
        func f() int { x = 5; return 1 }
        go P { r = x + f(); s = f() + x }
        go Q { x = 2 }
        exists (P:r == 1 && P:s == 6)
        """,
    "workers": """
        litmus Workers
        var a = make(chan int)
        var b = make(chan int)
        var wg sync.WaitGroup
        var mu sync.Mutex
        var total int
        func worker(id int, jobs chan int, wg *sync.WaitGroup, m *sync.Mutex) {
          v = <-jobs
          m.Lock()
          total = total + v * id
          m.Unlock()
          wg.Done()
        }
        go main {
          wg.Add(2)
          go worker(1, a, &wg, &mu)
          go worker(10, b, &wg, &mu)
          b <- 2
          a <- 3
          wg.Wait()
        }
        exists (total == 23 && worker:v == 3)
        """,
    "main-returns-early": """
        litmus Early
        var x int
        func spin(n int) int {
          for {
            if n > 2 { return n }
            n = n + 1
          }
        }
        go w { r = spin(0); x = r }
        go main { if x == 0 { return }; s = 1 }
        exists (w:r == 3)
        """,
}


@st.composite
def chan_value_text(draw, pinned: bool = False) -> str:
    """Channels as values: made in bodies (directly and by a function that
    returns one), kept in locals and in a shared variable that goroutines
    re-assign (a race on the variable), sent over a channel of channels,
    passed to functions, set to nil (its cases never run), captured by a
    closure, measured with len and cap, compared, closed; a declared
    channel ``a`` met both by name and through a variable (a goroutine parked
    on it by name, woken through a value; one whose variable holds ``a`` on
    some paths only), and a mutex that brings paths back together; the
    condition reads a register. ``pinned``: without what z3 steps aside on
    (``len``, a received channel used)."""
    lines = [
        "litmus ChanValues",
        f"var cc = make(chan chan int, {draw(st.integers(1, 2))})",
        draw(st.sampled_from(["var done chan int", "var done = make(chan int, 1)"])),
        f"var a = make(chan int, {draw(st.integers(0, 1))})",
        "var mu sync.Mutex",
        "var z int",
        "func put(c chan int, v int) {",
        "    select {",
        "    case c <- v:",
        "    default:",
        "    }",
        "}",
        "func mk(n int) chan int {",
        "    return make(chan int, n)",
        "}",
    ]
    parts = [
        "cc <- c",
        "select {{ case d = <-cc: ; default: }}",
        "select {{ case d <- {v}: ; default: }}",
        "select {{ case r = <-d: ; default: }}",
        "d <- {v}",
        "r = <-d",
        "r = len(d)",
        "r = cap(d) + len(c)",
        "put(d, {v})",
        "go put(c, {v})",
        "done = d",
        "done = nil",
        "select {{ case done <- {v}: ; case r = <-c: ; default: }}",
        "if d != c {{ r = r + 1 }}",
        "if d == nil {{ r = 9 }}",
        "close(c)",
        "go func() {{ select {{ case c <- {v}: ; default: }} }}()",
        "c = make(chan int, {k})",
        "d = nil",
        "d = a",
        "if r == 1 {{ d = a }}",
        "r = <-a",
        "select {{ case a <- {v}: ; default: }}",
        "r = len(a)",
        "mu.Lock(); z = z + 1; mu.Unlock()",
        "mu.Lock(); r = z; mu.Unlock()",
        "for v := range c {{ r = r + v; c = d }}",
        "r = cap(make(chan int, {k})) + cap(mk({v}))",
        # a send through a value that may wake a goroutine parked on a by name
        "d = a; select {{ case d <- {v}: ; default: }}",
        "r = <-a; mu.Lock(); z = {v}; mu.Unlock()",
        # positions that meet again with the variable holding different channels
        "select {{ case r = <-c: ; default: r = 1 }}; if r == 1 {{ d = a }}; d <- {v}; mu.Lock(); mu.Unlock()",
    ]
    if pinned:
        parts = [p for p in parts if "len(" not in p and "d = <-cc" not in p]
    for g in range(draw(st.integers(2, 3))):
        lines.append(f"func P{g}() {{" if g == 0 and draw(st.booleans()) else f"go P{g} {{")
        made = draw(st.sampled_from(["make(chan int, {k})", "mk({k})"])).format(k=draw(st.integers(0, 2)))
        lines += [f"    c := {made}", "    d := c", "    r = 0"]
        for part in draw(st.lists(st.sampled_from(parts), min_size=1, max_size=4)):
            lines.append("    " + part.format(v=draw(st.integers(1, 2)), k=draw(st.integers(0, 1))))
        lines.append("}")
    if lines[-1] == "}" and any(line.startswith("func P0()") for line in lines):
        lines.append("go main {\n    go P0()\n}")
    lines.append(f"exists (P1:r == {draw(st.integers(0, 2))})")
    return "\n".join(lines) + "\n"
