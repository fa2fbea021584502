"""The reference machine: Go's runtime semantics, one visible step at a time.

Deterministic given a schedule (a list of ``Choice``): ``enabled`` lists
what may run next, ``step`` runs one choice on a copy of the state. After
each step the goroutine runs its local instructions (register arithmetic,
branches, calls) until its next visible one, so every step the explorer
schedules touches shared state.

Channel operations follow runtime/chan.go (chansend, chanrecv, closechan)
and select follows runtime/select.go (selectgo): see docs/architecture.md.
"""

from __future__ import annotations

import dataclasses
from math import prod
from typing import NamedTuple

from hbcheck import names
from hbcheck.language.check import MAX_INT_CHAN_CAP, Program
from hbcheck.machine import events as ev
from hbcheck.machine.code import Code, GoPanic, compile_program, element, wrap
from hbcheck.machine.config import MachineConfig
from hbcheck.machine.events import Event
from hbcheck.machine.hchan import HChan, Item, Waiter
from hbcheck.machine.instructions import (
    Alloc,
    Assert,
    Atomic,
    Block,
    Bound,
    Call,
    ChanCap,
    ChanLen,
    Choose,
    Close,
    Defer,
    Exit,
    Go,
    Instr,
    Invoke,
    Jump,
    Jz,
    Load,
    Lock,
    Make,
    MapDone,
    MapLen,
    MapMake,
    MapNext,
    MapRead,
    MapWrite,
    Once,
    OnceDone,
    Panic,
    Recover,
    Recv,
    Ret,
    Return,
    Select,
    SelectCase,
    Send,
    Set,
    SetElem,
    SliceAppend,
    SliceLoad,
    SliceMake,
    SliceStore,
    Store,
    Unlock,
    WgAdd,
    WgDone,
    WgWait,
)
from hbcheck.machine.slices import element as slice_element
from hbcheck.machine.slices import grown_cap, header, parts
from hbcheck.machine.state import (
    CUT,
    DONE,
    FAIL,
    PARKED,
    RUN,
    WG_RELEASE,
    WG_RETURN,
    End,
    G,
    MapObj,
    Panicking,
    Pending,
    State,
)

DEFAULT = -1  # the select alternative that takes ``default``
PARK = -2  # the select alternative that parks on every case; PARK - v: its v-th queue order


def _park_groups(cases: tuple[SelectCase, ...]) -> list[list[int]]:
    """The cases that wait in one queue (same channel, same direction), for
    each queue holding two or more. selectgo enqueues in lockorder, which
    heap-sorts a random pollorder by channel address and so permutes cases on
    one channel: whichever case of such a group is enqueued first is the one
    a partner (or a close) completes, so each may be."""
    by_queue: dict[tuple[str, bool], list[int]] = {}
    for i, case in enumerate(cases):
        if case.chan is not None:
            by_queue.setdefault((case.chan, case.send), []).append(i)
    return [g for g in by_queue.values() if len(g) > 1]


def _park_order(cases: tuple[SelectCase, ...], variant: int) -> list[int]:
    """The enqueue order of ``PARK - variant``: case order, save that in each
    shared queue the case the variant picks goes first."""
    order = list(range(len(cases)))
    for group in _park_groups(cases):
        variant, pick = divmod(variant, len(group))
        if pick:
            order.remove(group[pick])
            order.insert(order.index(group[0]), group[pick])
    return order


# the instructions that may wait without parking (``Machine._may_run``), as Go's traceback names them
WAITS: dict[type[Instr], str] = {Lock: names.WAIT_LOCK, WgWait: names.WAIT_WG, Once: names.WAIT_ONCE}


def wg_waiting(g: G) -> str | None:
    """The wait group a goroutine is parked on in ``Wait`` (shared wait groups only)."""
    prefix = WAITS[WgWait] + " "
    return g.wait[len(prefix) :] if g.status == PARKED and g.wait.startswith(prefix) else None


MAP_WRITE = "$map"  # a goroutine's map write between its steps: (key, value), None: nothing to do


class Choice(NamedTuple):
    """One schedulable step: goroutine ``g``, and for a select which case
    (``DEFAULT``, ``PARK`` or a case index)."""

    g: str
    alt: int | None = None


def map_of(g: G, ins: MapRead | MapWrite | MapDone | MapLen | MapNext) -> str | None:
    """The map an operation works on: its own (None: nil), or the one in its register."""
    if ins.via is None:
        return ins.map
    value = g.regs[ins.via]
    return value if isinstance(value, str) else None


class Machine:
    def __init__(self, program: Program, config: MachineConfig | None = None):
        self.program = program
        self.config = config or MachineConfig()
        self.codes: dict[str, Code] = compile_program(program, self.config)
        # Wait groups whose Waits and positive Adds are not all one goroutine's:
        # only they can show Go's misuse (the sema race and the two panics), so
        # only they get waiters and two-step operations (``_wg_resume``); the
        # others keep one-step operations and a Wait enabled at counter 0.
        self.shared_wgs: frozenset[str] = program.shared_waitgroups()

    # ---- set-up
    def initial(self) -> State:
        """Initial writes, then every top-level goroutine started (docs/models.md)."""
        st = State()
        for name, var in self.program.shared.items():
            if var.kind in ("int", "array"):
                for loc in [name] if var.kind == "int" else [f"{name}[{k}]" for k in range(var.cap or 0)]:
                    st.vars[loc] = var.init
                    e = self._emit(st, None, ev.INIT_WRITE, 0, obj=loc, value=var.init)
                    st.last_write[loc] = e.id
            elif var.kind == "chan":
                if var.cap is not None:
                    st.chans[name] = HChan(name, var.cap)
                if name in self.program.dynamic:  # a variable holding a channel, assigned later
                    st.vars[name] = name if var.cap is not None else 0
                    e = self._emit(st, None, ev.INIT_WRITE, 0, obj=name, value=st.vars[name])
                    st.last_write[name] = e.id
            elif var.kind == "slice":  # its header (nil: 0); the backing array made at the start is named after it
                st.vars[name] = header(name, var.init, var.cap) if var.cap is not None else 0
                e = self._emit(st, None, ev.INIT_WRITE, 0, obj=name, value=st.vars[name])
                st.last_write[name] = e.id
            elif var.kind == "map" and var.cap is not None:  # made; a nil map has no object
                st.maps[name] = MapObj()
                e = self._emit(st, None, ev.INIT_WRITE, 0, obj=name, value=0)
                st.last_write[name] = e.id
            elif var.kind == "mutex":
                st.mutex[name] = (None, None)
            elif var.kind == "wg":
                st.wg[name] = (0, ())
            elif var.kind == "once":
                st.once[name] = (0, None)
        for decl in self.program.goroutines:
            g = G(decl.name, decl.name, self.config.initial_stack)
            st.gs[g.name] = g
            self._emit(st, g, ev.START, decl.loc.line)
        for g in list(st.gs.values()):
            self._run_local(st, g)
        return st

    # ---- queries
    def enabled(self, st: State) -> list[Choice]:
        """Every step that may run next, goroutines in creation order."""
        if st.end is not None:
            return []
        return self.candidates(st)

    def candidates(self, st: State) -> list[Choice]:
        """The steps each goroutine could take now, even after the program ended."""
        out: list[Choice] = []
        for g in st.gs.values():
            if g.status in (FAIL, CUT):
                out.append(Choice(g.name))
            elif g.status == RUN:
                ins = self.codes[g.code].instrs[g.pc]
                # type(ins), not isinstance or a class pattern: on CPython 3.11 a
                # failing isinstance looks up __class__, and this runs per goroutine per state
                if type(ins) is Select:
                    out.extend(Choice(g.name, alt) for alt in self._select_alts(st, self.cases(g, ins)))
                elif type(ins) is Choose:
                    out.extend(Choice(g.name, alt) for alt in range(ins.n))
                elif type(ins) is MapNext:
                    options = self.map_next(st, g, ins)
                    out.extend(Choice(g.name, alt) for alt in range(1 if options is None else len(options)))
                elif type(ins) not in WAITS or self._may_run(st, ins):
                    out.append(Choice(g.name))
        return out

    def _may_run(self, st: State, ins: Instr) -> bool:
        match ins:
            case Lock(mutex=m):
                return st.mutex[m][0] is None
            case WgWait(wg=w):  # a shared wait group's Wait returns or parks; a woken one returns
                return w in self.shared_wgs or st.wg[w][0] == 0
            case Once(once=o):
                return st.once[o][0] != 1
        return True

    @staticmethod
    def cases(g: G, ins: Select) -> Select:
        """``ins`` with each case's channel known: a channel value is read from its register now."""
        if all(c.via is None for c in ins.cases):
            return ins
        cases = tuple(
            c if c.via is None else dataclasses.replace(c, chan=chan_value(g, c.via), via=None) for c in ins.cases
        )
        return dataclasses.replace(ins, cases=cases)

    @staticmethod
    def map_next(st: State, g: G, ins: MapNext) -> list[tuple[int, int] | None] | None:
        """What a range over a map may produce next: each entry not produced
        yet (key, stamp), sorted, then None (the end) once every entry the
        loop started with is produced or gone (one added since, a key put back
        included, may be produced or not); None: a write is under way, Go's
        fatal error (mapiternext; mapiterinit returns at once on an empty map)."""
        name = map_of(g, ins)
        m = None if name is None else st.maps[name]
        it = g.regs.get(ins.it)
        if m is None or (it is None and not m.entries):
            return [None]
        if m.writer is not None:
            return None
        start, done = it if it is not None else (m.stamps, ())
        left = [(k, stamp) for k, _v, stamp in m.entries if (k, stamp) not in done]
        return [*left, *([None] if all(stamp > start for _k, stamp in left) else [])]

    def _select_alts(self, st: State, ins: Select) -> list[int]:
        cases = ins.cases
        ready = []
        for i, case in enumerate(cases):
            if case.chan is None:
                continue  # a nil channel is never ready
            ch = st.chans[case.chan]
            if ch.send_ready() if case.send else ch.recv_ready():
                ready.append(i)
        if ready:
            return ready
        if ins.default_pc is not None:
            return [DEFAULT]
        return [PARK - v for v in range(prod(len(g) for g in _park_groups(cases)))]

    def blocked_on(self, st: State, g: G) -> tuple[str, int]:
        """What a goroutine that cannot move waits on, as Go's traceback names it."""
        if g.status == PARKED:
            return g.wait, g.wait_line
        code = self.codes[g.code]
        ins = code.instrs[g.pc]
        match ins:
            case Lock(mutex=obj) | WgWait(wg=obj) | Once(once=obj):
                return f"{WAITS[type(ins)]} {obj}", code.lines[g.pc]
        # one that could still move (a state recorded before the end, as tests do)
        return type(ins).__name__, code.lines[g.pc]

    # ---- stepping
    def step(self, st: State, choice: Choice) -> State:
        """Run one step on a copy of ``st``."""
        st = st.copy()
        g = st.g(choice.g)
        g.nsteps += 1
        st.steps += 1
        st.sid = (g.name, g.nsteps, choice.alt)  # the alternative is part of the step: it decides its effect
        st.schedule.append((choice.g, choice.alt))
        try:
            self._step(st, g, choice.alt)
        except GoPanic as exc:
            self._panic(st, g, str(exc), self.codes[g.code].lines[g.pc])
        if st.end is None and g.status == RUN:
            self._run_local(st, g)
        return st

    def _step(self, st: State, g: G, alt: int | None) -> None:
        if g.status in (FAIL, CUT):
            p = g.pending
            assert p is not None
            if p.kind == "cut":
                st.end = End("cut", g.name, p.text, p.line)
            elif p.kind == "assert":
                self._emit(st, g, ev.ASSERT, p.line, text=p.text)
                st.end = End("assert", g.name, p.text, p.line)
            else:
                self._panic(st, g, p.text, p.line, fatal=p.kind == "fatal")
            return
        if g.pending is not None:
            self._wg_resume(st, g, g.pending)
            return
        code = self.codes[g.code]
        ins = code.instrs[g.pc]
        line = code.lines[g.pc]
        sid = st.sid
        match ins:
            case Load(reg=reg, var=var, site=site, index=index):
                if index is not None:  # an array's element
                    var = element(var, index(g.regs), ins.length)
                elif site is not None and site[0] == "&":  # a captured variable: the location its register holds
                    var = g.regs[var]
                self._touch(st, var, sid, write=False)
                value = st.vars[var]
                self._emit(st, g, ev.READ, line, obj=var, value=value, src=st.last_write[var])
                g.regs[reg] = value
                g.pc += 1
            case Store(var=var, value=fn, site=site, index=index):
                value = fn(g.regs)
                if index is not None:
                    var = element(var, index(g.regs), ins.length)
                elif site is not None and site[0] == "&":
                    var = g.regs[var]
                self._touch(st, var, sid, write=True)
                e = self._emit(st, g, ev.WRITE, line, obj=var, value=value)
                st.vars[var] = value
                st.last_write[var] = e.id
                g.pc += 1
            case Send(chan=chan, value=fn, via=via):
                g.pc += 1
                chan = chan if via is None else chan_value(g, via)
                self._send(st, g, sid, chan, fn(g.regs), line, case=None)
            case Recv(chan=chan, vreg=vreg, okreg=okreg, via=via):
                g.pc += 1
                chan = chan if via is None else chan_value(g, via)
                self._recv(st, g, sid, chan, vreg, okreg, line, case=None)
            case Close(chan=chan, via=via):
                g.pc += 1
                self._close(st, g, sid, chan if via is None else chan_value(g, via), line)
            case ChanLen(reg=reg, chan=chan, via=via):
                chan = chan if via is None else chan_value(g, via)
                if chan is None:
                    g.regs[reg] = 0
                else:
                    ch = st.chan(chan)
                    ch.lens = ch.lens | {(_op(sid, None), len(ch.sent), len(ch.recvd))}
                    g.regs[reg] = ch.qcount
                g.pc += 1
            case Select():
                self._select(st, g, sid, self.cases(g, ins), alt, line)
            case Go(func=func, code=code, args=args):
                self._go(st, g, sid, func, code or func, tuple(f(g.regs) for f in args), line)
                g.pc += 1
            case Lock(mutex=m):
                self._touch(st, m, sid, write=True)
                self._emit(st, g, ev.LOCK, line, obj=m, src=st.mutex[m][1])
                st.mutex[m] = (g.name, st.mutex[m][1])
                g.pc += 1
            case Unlock(mutex=m):
                self._touch(st, m, sid, write=True)
                if st.mutex[m][0] is None:
                    self._panic(st, g, names.UNLOCK_OF_UNLOCKED, line, fatal=True)  # Go's throw: no defers run
                    return
                e = self._emit(st, g, ev.UNLOCK, line, obj=m)
                st.mutex[m] = (None, e.id)
                g.pc += 1
            case WgAdd(wg=w, delta=fn):
                self._wg_add(st, g, sid, w, fn(g.regs), ev.WG_ADD, line)
            case WgDone(wg=w):
                self._wg_add(st, g, sid, w, -1, ev.WG_DONE, line)
            case WgWait(wg=w):
                if w in self.shared_wgs and st.wg[w][0] != 0:
                    self._wg_park(st, g, sid, w, line)
                    return
                self._touch(st, w, sid, write=False)
                self._emit(st, g, ev.WG_WAIT, line, obj=w, srcs=st.wg[w][1])
                g.pc += 1
            case Once(once=o, func=func):
                self._once(st, g, sid, o, func, line)
            case OnceDone(once=o):
                self._touch(st, o, sid, write=True)
                e = self._emit(st, g, ev.ONCE, line, obj=o, phase=ev.END)
                st.once[o] = (2, e.id)
                g.pc += 1
            case Atomic():
                self._atomic(st, g, sid, ins, line)
                g.pc += 1
            case SliceLoad() | SliceStore() | SliceAppend():
                self._slice_step(st, g, sid, ins, line)
            case MapRead() | MapWrite() | MapDone() | MapLen() | MapNext():
                self._map_step(st, g, sid, ins, alt, line)
            case Choose(reg=reg, n=n):
                assert alt is not None
                # the value is the goroutine's own: in the trace key, so that each is an execution
                self._touch(st, f"rand:{g.name}", sid, write=True)
                self._emit(st, g, ev.CHOOSE, line, value=alt, op=str(n))
                g.regs[reg] = alt
                g.pc += 1
            case Block(text=text):
                self._emit(st, g, ev.BLOCK, line, text=text)
                self._park(g, text, line, ())
                g.pc += 1
            case Exit():
                self._emit(st, g, ev.EXIT, line)
                g.status = DONE
                st.end = End("main-exit", g.name, "", line)
            case _:  # pragma: no cover - local instructions run in _run_local
                raise AssertionError(f"unexpected instruction {ins}")

    def _slice_step(self, st: State, g: G, sid: tuple, ins: SliceLoad | SliceStore | SliceAppend, line: int) -> None:
        """An element access (bounds-checked against the header's length, Go's
        index panic) or an append (runtime/slice.go growslice when it is full)."""
        array, length, cap = parts(g.regs[ins.hdr])
        if isinstance(ins, SliceAppend):
            values = [f(g.regs) for f in ins.values]
            if not values:  # append(s) is s, nil included
                g.regs[ins.reg] = g.regs[ins.hdr]
                g.pc += 1
                return
            if array is None or length + len(values) > cap:
                new_cap = grown_cap(cap, length + len(values))
                new = self._array(st, g, ins.site)
                for j in range(length):  # the copy: reads of the old array, the new one's initial values
                    assert array is not None
                    value = self._access(st, g, sid, slice_element(array, j), line)
                    self._element(st, slice_element(new, j), value)
                array, cap = new, new_cap
            for j, value in enumerate(values):
                self._access(st, g, sid, slice_element(array, length + j), line, value)
            g.regs[ins.reg] = header(array, length + len(values), cap)  # type: ignore[assignment]
            g.pc += 1
            return
        index = ins.index(g.regs)
        if not 0 <= index < length:  # runtime/error.go: a negative index is shown without the length
            text = names.INDEX_OUT_OF_RANGE if index >= 0 else names.NEGATIVE_INDEX
            raise GoPanic(text.format(index=index, length=length))
        assert array is not None
        loc = slice_element(array, index)
        if isinstance(ins, SliceLoad):
            g.regs[ins.reg] = self._access(st, g, sid, loc, line)
        else:
            self._access(st, g, sid, loc, line, ins.value(g.regs))
        g.pc += 1

    def _array(self, st: State, g: G, hint: str) -> str:
        """A new backing array's name: ``G.s``, then ``G.s#2``, ... (only ``g`` makes names under its own)."""
        base = f"{g.name}.{hint}"
        k = st.arrays.get(base, 0) + 1
        st.arrays[base] = k
        return base if k == 1 else f"{base}#{k}"

    def _element(self, st: State, loc: str, value: int = 0) -> None:
        """A backing array's element, made when first touched: its initial write."""
        if loc not in st.vars:
            st.vars[loc] = value
            st.last_write[loc] = self._emit(st, None, ev.INIT_WRITE, 0, obj=loc, value=value).id

    def _access(self, st: State, g: G, sid: tuple, loc: str, line: int, value: int | None = None) -> int:
        """A plain read (``value`` None) or write of an element; the value read or written."""
        self._element(st, loc)
        self._touch(st, loc, sid, write=value is not None)
        if value is None:
            value = st.vars[loc]
            self._emit(st, g, ev.READ, line, obj=loc, value=value, src=st.last_write[loc])
            return value
        e = self._emit(st, g, ev.WRITE, line, obj=loc, value=value)
        st.vars[loc] = value
        st.last_write[loc] = e.id
        return value

    def _map_step(self, st: State, g: G, sid: tuple, ins: Instr, alt: int | None, line: int) -> None:
        """A map operation (runtime/map.go, Go 1.19): the race detector's access
        to the map header first, then the hashWriting checks where the runtime
        makes them (not on an empty map's read, iteration or delete)."""
        m = map_of(g, ins)  # type: ignore[arg-type]
        obj = None if m is None else st.maps[m]
        match ins:
            case MapRead(key=fk, vreg=vreg, okreg=okreg):
                key = fk(g.regs)
                value, ok = (0, 0) if obj is None else obj.get(key)
                if obj is not None:
                    self._touch(st, m, sid, write=False)  # type: ignore[arg-type]
                    self._emit(st, g, ev.READ, line, obj=m, value=value, src=st.last_write[m], text=f"{m}[{key}]")
                    if obj.entries and obj.writer is not None:
                        self._panic(st, g, names.MAP_READ_WRITE, line, fatal=True)
                        return
                for reg, v in ((vreg, value), (okreg, ok)):
                    if reg is not None:
                        g.regs[reg] = v
            case MapLen(reg=reg):
                g.regs[reg] = 0 if obj is None else len(obj.entries)
                if obj is not None:
                    self._touch(st, m, sid, write=False)  # type: ignore[arg-type]
                    src = st.last_write[m]
                    self._emit(st, g, ev.READ, line, obj=m, value=g.regs[reg], src=src, text=f"len({m})")
            case MapWrite(key=fk, value=fv):
                key, value = fk(g.regs), None if fv is None else fv(g.regs)
                g.regs[MAP_WRITE] = None  # type: ignore[assignment]  # nothing for the later steps to do
                if obj is None:
                    if fv is not None:
                        self._panic(st, g, names.NIL_MAP_WRITE, line)
                        return
                else:
                    self._touch(st, m, sid, write=True)  # type: ignore[arg-type]
                    text = f"{m}[{key}]" if value is not None else f"delete({m}, {key})"
                    e = self._emit(st, g, ev.WRITE, line, obj=m, value=value or 0, text=text)
                    st.last_write[m] = e.id  # type: ignore[index]
                    if fv is not None or obj.entries:  # mapdelete returns at once on an empty map
                        if obj.writer is not None:
                            self._panic(st, g, names.MAP_WRITES, line, fatal=True)
                            return
                        st.maps[m] = MapObj(obj.entries, g.name, obj.stamps)  # type: ignore[index]
                        g.regs[MAP_WRITE] = (key, value)  # type: ignore[assignment]
            case MapDone(phase=phase):
                pending = g.regs.get(MAP_WRITE)
                if obj is not None and pending is not None:
                    key, value = pending  # type: ignore[misc]
                    if phase == "insert":  # the entry made (its count raised) or removed, under the flag
                        obj = obj.inserted(key) if value is not None else obj.deleted(key)
                        what = f"insert {m}[{key}]" if value is not None else f"remove {m}[{key}]"
                    elif phase == "clear":
                        obj = MapObj(obj.entries, None, obj.stamps)
                        what = f"clear {m}'s write flag"
                    else:  # the value, stored once mapassign has returned
                        obj = obj.stored(key, value)
                        what = f"store {m}[{key}]={value}"
                    st.maps[m] = obj  # type: ignore[index]
                    self._touch(st, m, sid, write=True)  # type: ignore[arg-type]
                    self._emit(st, g, ev.MAP_STEP, line, obj=m, text=what)
            case MapNext(it=it, kreg=kreg, vreg=vreg, okreg=okreg):
                options = self.map_next(st, g, ins)
                if obj is not None:
                    self._touch(st, m, sid, write=False)  # type: ignore[arg-type]
                if options is None:  # the read of the header comes first (mapiterinit, mapiternext)
                    self._emit(st, g, ev.READ, line, obj=m, value=0, src=st.last_write[m], text=f"range({m})")  # type: ignore[index]
                    self._panic(st, g, names.MAP_ITERATION_WRITE, line, fatal=True)
                    return
                chosen = options[alt or 0]
                value = 0
                if obj is not None:
                    start, done = g.regs.get(it) or (obj.stamps, ())
                    added = sum(stamp > start for _k, stamp in done)  # entries added while the loop runs
                    if chosen is not None and chosen[1] > start and added >= self.config.unroll:
                        self._fail(g, "cut", f"unroll {self.config.unroll}", line)
                        return
                    value = obj.get(chosen[0])[0] if chosen is not None else 0
                    text = f"range({m}) end" if chosen is None else f"range({m}) {m}[{chosen[0]}]={value}"
                    self._emit(st, g, ev.READ, line, obj=m, value=value, src=st.last_write[m], text=text)  # type: ignore[index]
                    g.regs[it] = (start, done if chosen is None else (*done, chosen))  # type: ignore[assignment]
                g.regs[okreg] = int(chosen is not None)
                if chosen is not None:
                    for reg, v in ((kreg, chosen[0]), (vreg, value)):
                        if reg is not None:
                            g.regs[reg] = v
        g.pc += 1

    def _wg_add(self, st: State, g: G, sid: tuple, w: str, delta: int, kind: str, line: int) -> None:
        """``w.Add(delta)``, or ``w.Done()`` (``delta`` -1): the event ``kind``."""
        self._touch(st, w, sid, write=True)
        counter, releasing = st.wg[w]
        new = counter + delta
        shared = w in self.shared_wgs
        # Add: "if race.Enabled && delta > 0 && v == int32(delta) { race.Read(semap) }"
        sema = ev.SEMA_READ if shared and delta > 0 and counter == 0 else None
        e = self._emit(st, g, kind, line, obj=w, value=delta, op=sema)
        if new < 0:
            self._panic(st, g, names.NEGATIVE_COUNTER, line)
            return
        # every Done so far, not only those since the counter last rose from
        # zero: Done's ReleaseMerge and Wait's Acquire (sync/waitgroup.go) keep
        # no reset, and the Add that rises again observes the Done's atomic add
        if delta < 0 or new == 0:
            releasing = (*releasing, e.id)
        st.wg[w] = (new, releasing)
        if shared and self._wg_add_waiters(st, g, w, delta, counter, new, line):
            return
        g.pc += 1

    # ---- channels
    def _send(
        self,
        st: State,
        g: G,
        sid: tuple,
        chan: str | None,
        value: int,
        line: int,
        case: int | None,
        case_line: int = 0,
        polls: ev.Polls = (),
    ) -> None:
        """chansend, or one send case of a select already chosen as ready (which
        completes at its case's line, ``case_line``; ``polls``: the other send
        cases the select may have read first, see ``_select``)."""
        if chan is None:  # a nil channel blocks forever
            self._emit(st, g, ev.SEND, line, phase=ev.BEGIN, value=value)
            self._park(g, names.WAIT_SEND + names.NIL_CHAN, line, ())
            return
        ch = st.chan(chan)
        polls = (((chan, case_line),) if ch.closed and case is not None else ()) + polls
        begin = self._begin(st, g, case, ev.SEND, line, chan, value, polls)
        if ch.closed:
            ch.failed_sends |= {_op(sid, case)}
            self._panic(st, g, names.SEND_ON_CLOSED, line)
            return
        if ch.recvq:
            w = ch.recvq.pop(0)
            seq = ch.count_send(_op(sid, case))
            self._wake_receiver(st, ch, w, value, ok=1, src=begin.id, seq=ch.count_recv(w.op))
            self._end(st, g, case, ev.SEND, case_line or line, chan, begin.id, value=value, seq=seq)
        elif ch.qcount < ch.dataqsiz:
            slot = ch.enqueue(Item(value, begin.id))
            self._end(
                st,
                g,
                case,
                ev.SEND,
                case_line or line,
                chan,
                begin.id,
                value=value,
                slot=slot,
                qcount=ch.qcount,
                seq=ch.count_send(_op(sid, case)),
            )
        else:
            ch.sendq.append(Waiter(g.name, -1, value, begin.id, _op(sid, None)))
            self._park(g, names.WAIT_SEND, line, (chan,))

    def _recv(
        self,
        st: State,
        g: G,
        sid: tuple,
        chan: str | None,
        vreg: str | None,
        okreg: str | None,
        line: int,
        case: int | None,
        case_line: int = 0,
        polls: ev.Polls = (),
    ) -> None:
        if chan is None:
            self._emit(st, g, ev.RECV, line, phase=ev.BEGIN)
            self._park(g, names.WAIT_RECEIVE + names.NIL_CHAN, line, ())
            return
        ch = st.chan(chan)
        begin = self._begin(st, g, case, ev.RECV, line, chan, None, polls)
        if ch.closed and ch.qcount == 0:
            ch.closed_recvs |= {_op(sid, case)}
            self._end(
                st, g, case, ev.RECV, case_line or line, chan, begin.id, value=0, ok=0, closed=True, src=ch.close_event
            )
            _set(g, vreg, 0)
            _set(g, okreg, 0)
        elif ch.sendq or ch.qcount > 0:
            w = ch.sendq.pop(0) if ch.sendq else None
            if w is None:  # buffered data
                item, slot = ch.dequeue()
            elif ch.dataqsiz == 0:  # an unbuffered sender waits: take its value directly
                item, slot = Item(w.value, w.begin), None  # type: ignore[arg-type]
            else:  # the buffer is full and a sender waits: its value takes the head's slot
                item, slot = ch.exchange_head(Item(w.value, w.begin))  # type: ignore[arg-type]
            qcount = None if slot is None else ch.qcount
            self._end(
                st,
                g,
                case,
                ev.RECV,
                case_line or line,
                chan,
                begin.id,
                value=item.value,
                ok=1,
                src=item.send,
                slot=slot,
                qcount=qcount,
                seq=ch.count_recv(_op(sid, case)),
            )
            _set(g, vreg, item.value)
            _set(g, okreg, 1)
            if w is not None:
                self._wake_sender(st, ch, w, recv_begin=begin.id, seq=ch.count_send(w.op))
        else:
            ch.recvq.append(Waiter(g.name, -1, None, begin.id, _op(sid, None)))
            self._park(g, names.WAIT_RECEIVE, line, (chan,))

    def _close(self, st: State, g: G, sid: tuple, chan: str | None, line: int) -> None:
        if chan is None:
            self._panic(st, g, names.CLOSE_OF_NIL, line)
            return
        ch = st.chan(chan)
        if ch.closed:
            self._panic(st, g, names.CLOSE_OF_CLOSED, line)
            return
        begin = self._emit(st, g, ev.CLOSE, line, obj=chan, phase=ev.BEGIN)
        ch.closed = True
        ch.close_event = begin.id
        ch.closed_by = sid
        receivers, senders = ch.recvq, ch.sendq
        ch.recvq, ch.sendq = [], []
        for w in receivers:  # closechan: release all readers with (zero, false)
            if st.gs[w.g].status == PARKED:  # a select with two cases here wakes once
                ch.closed_recvs |= {w.op}
                self._wake_receiver(st, ch, w, 0, ok=0, src=begin.id, seq=None, closed=True)
        for w in senders:  # ... and all writers, which then panic
            sender = st.g(w.g)
            if sender.status != PARKED:
                continue
            # no event says which case or which close woke it, and its future (the
            # panic) is the same: the trace key leaves it out (its empty queues and
            # the close are what set this state apart)
            self._unpark(st, sender)
            sender.status = FAIL
            sender.pending = Pending("panic", names.SEND_ON_CLOSED, sender.wait_line)
        self._emit(st, g, ev.CLOSE, line, obj=chan, phase=ev.END)

    def _select(self, st: State, g: G, sid: tuple, ins: Select, alt: int | None, line: int) -> None:
        """selectgo. Its first pass reads the channel of each send case it polls
        (racereadpc, in a random order) until one can run: so every send case
        when it parks or takes default, and, when a case runs, each send case
        that could not (the others may come first in the poll order)."""
        cases = ins.cases
        assert alt is not None
        waits = alt == DEFAULT or alt <= PARK  # no case could run: each was polled
        polls = tuple(
            (c.chan, c.line)
            for i, c in enumerate(cases)
            if c.send and c.chan is not None and (waits or (i != alt and not st.chan(c.chan).send_ready()))
        )
        if alt == DEFAULT:
            self._emit(st, g, ev.SELECT, line, phase=ev.BEGIN, polls=polls)
            self._emit(st, g, ev.SELECT, line, phase=ev.END, case=DEFAULT)
            g.pc = ins.default_pc
            return
        if alt <= PARK:
            begin = self._emit(st, g, ev.SELECT, line, phase=ev.BEGIN, polls=polls)
            chans = []
            for i in _park_order(cases, PARK - alt):
                c = cases[i]
                if c.chan is None:
                    continue
                ch = st.chan(c.chan)
                if c.send:
                    ch.sendq.append(Waiter(g.name, i, c.value(g.regs), begin.id, _op(sid, i)))
                else:
                    ch.recvq.append(Waiter(g.name, i, None, begin.id, _op(sid, i)))
                chans.append(c.chan)
            self._park(g, names.WAIT_SELECT, line, tuple(dict.fromkeys(chans)))
            return
        c = cases[alt]
        g.pc = c.body_pc
        if c.send:
            self._send(st, g, sid, c.chan, c.value(g.regs), line, case=alt, case_line=c.line, polls=polls)
        else:
            self._recv(st, g, sid, c.chan, c.vreg, c.okreg, line, case=alt, case_line=c.line, polls=polls)

    def _begin(
        self, st: State, g: G, case: int | None, kind: str, line: int, chan: str, value: int | None, polls: ev.Polls
    ) -> Event:
        if case is None:
            return self._emit(st, g, kind, line, obj=chan, phase=ev.BEGIN, value=value)
        return self._emit(st, g, ev.SELECT, line, phase=ev.BEGIN, polls=polls)

    def _end(self, st: State, g: G, case: int | None, kind: str, line: int, chan: str, begin: int, **fields) -> Event:
        """The completion of an operation begun by event ``begin``; ``seq`` is its place
        in the channel's FIFO (the k-th value sent, the k-th value received)."""
        if case is None:
            return self._emit(st, g, kind, line, obj=chan, phase=ev.END, begin=begin, **fields)
        return self._emit(st, g, ev.SELECT, line, obj=chan, phase=ev.END, case=case, op=kind, begin=begin, **fields)

    def _wake_receiver(
        self,
        st: State,
        ch: HChan,
        w: Waiter,
        value: int,
        ok: int,
        src: int | None,
        seq: int | None,
        closed: bool = False,
    ) -> None:
        r = st.g(w.g)
        self._unpark(st, r)
        if w.case == -1:
            recv = self.codes[r.code].instrs[r.pc - 1]  # parked receives already advanced their pc
            assert isinstance(recv, Recv)
            vreg, okreg = recv.vreg, recv.okreg
            self._end(
                st, r, None, ev.RECV, r.wait_line, ch.name, w.begin, value=value, ok=ok, closed=closed, src=src, seq=seq
            )
        else:
            sel = self.codes[r.code].instrs[r.pc]
            assert isinstance(sel, Select)
            case = sel.cases[w.case]
            vreg, okreg = case.vreg, case.okreg
            self._end(
                st,
                r,
                w.case,
                ev.RECV,
                case.line,
                ch.name,
                w.begin,
                value=value,
                ok=ok,
                closed=closed,
                src=src,
                seq=seq,
            )
            r.pc = case.body_pc
        _set(r, vreg, value)
        _set(r, okreg, ok)
        self._run_local(st, r)

    def _wake_sender(self, st: State, ch: HChan, w: Waiter, recv_begin: int, seq: int) -> None:
        s = st.g(w.g)
        self._unpark(st, s)
        if w.case == -1:
            self._end(st, s, None, ev.SEND, s.wait_line, ch.name, w.begin, value=w.value, src=recv_begin, seq=seq)
        else:
            sel = self.codes[s.code].instrs[s.pc]
            assert isinstance(sel, Select)
            case = sel.cases[w.case]
            self._end(st, s, w.case, ev.SEND, case.line, ch.name, w.begin, value=w.value, src=recv_begin, seq=seq)
            s.pc = case.body_pc
        self._run_local(st, s)

    def _park(self, g: G, wait: str, line: int, chans: tuple[str, ...]) -> None:
        g.status = PARKED
        g.wait = wait
        g.wait_line = line
        g.parked = chans

    def _unpark(self, st: State, g: G) -> None:
        """Dequeue every other sudog of a waking goroutine (select parks on several):
        the waking step changes each of those channels' queues too."""
        for chan in g.parked:
            st.chan(chan).remove(g.name)
        g.status = RUN
        g.parked = ()

    # ---- shared wait groups: sync/waitgroup.go (Go 1.19), waiters and two-step operations
    @staticmethod
    def _wg_waiters(st: State, w: str) -> int:
        """The state's waiter count: the goroutines parked in ``w.Wait()``. A
        Wait's CAS adds itself; the releasing Add's ``*statep = 0`` resets the
        count in the step that wakes them all (``_wg_resume``)."""
        return sum(1 for g in st.gs.values() if wg_waiting(g) == w)

    def _wg_add_waiters(self, st: State, g: G, w: str, delta: int, counter: int, new: int, line: int) -> bool:
        """The rest of Add after its atomic add, with the waiters ``w`` it saw.
        "if w != 0 && delta > 0 && v == int32(delta)": the misuse panic, a step
        of its own (the state is already changed: a releaser in its window may
        check first and panic too). "if v > 0 || w == 0 { return }"; otherwise
        this Add released the waiters, and checking the state, resetting it and
        waking them is its next step (``WG_RELEASE``), a window in which other
        goroutines run. True when ``g`` does not go on to the next instruction."""
        waiters = self._wg_waiters(st, w)
        if waiters and delta > 0 and counter == 0:
            self._fail(g, "panic", names.WG_MISUSE, line)
            return True
        if new > 0 or waiters == 0:
            return False
        g.pending = Pending(WG_RELEASE, w, line, waiters)
        return True

    def _wg_park(self, st: State, g: G, sid: tuple, w: str, line: int) -> None:
        """A Wait that finds the counter non-zero: its CAS adds a waiter (a
        write of the state), and the first waiter does "race.Write(semap)"
        (the event marked ``SEMA_WRITE``); then it parks (runtime_Semacquire)."""
        first = self._wg_waiters(st, w) == 0
        self._touch(st, w, sid, write=True)
        self._emit(st, g, ev.WG_WAIT, line, obj=w, phase=ev.BEGIN, op=ev.SEMA_WRITE if first else None)
        self._park(g, f"{WAITS[WgWait]} {w}", line, ())

    def _wg_resume(self, st: State, g: G, p: Pending) -> None:
        """The second step of a shared wait group's operation.
        WG_RELEASE (the releasing Add): "if *statep != state { panic(misuse) }",
        "*statep = 0", then wake every waiter (runtime_Semrelease), each of which
        returns in a step of its own. WG_RETURN (a woken Wait): "if *statep != 0
        { panic(reused) }", else return after the Done calls that released it."""
        w = p.text
        g.pending = None
        counter, releasing = st.wg[w]
        if p.kind == WG_RELEASE:
            self._touch(st, w, st.sid, write=True)
            if counter != 0 or self._wg_waiters(st, w) != p.value:
                self._panic(st, g, names.WG_MISUSE, p.line)
                return
            kind = ev.WG_ADD if isinstance(self.codes[g.code].instrs[g.pc], WgAdd) else ev.WG_DONE
            self._emit(st, g, kind, p.line, obj=w, phase=ev.END)
            for other in list(st.gs.values()):
                if wg_waiting(other) == w:
                    waiter = st.g(other.name)
                    waiter.status, waiter.wait, waiter.parked = RUN, "", ()
                    waiter.pending = Pending(WG_RETURN, w, waiter.wait_line)
            g.pc += 1
            return
        self._touch(st, w, st.sid, write=False)
        if counter != 0 or self._wg_waiters(st, w) != 0:
            self._panic(st, g, names.WG_REUSED, p.line)
            return
        self._emit(st, g, ev.WG_WAIT, p.line, obj=w, phase=ev.END, srcs=releasing)
        g.pc += 1

    # ---- other operations
    def _go(self, st: State, g: G, sid: tuple, func: str, code: str, args: tuple[int, ...], line: int) -> None:
        """``go func(args)``: the instance is named after ``func`` and runs ``code``
        with its parameters set to ``args`` (evaluated by the spawner)."""
        self._touch(st, f"go:{func}", sid, write=True)
        n = st.spawns.get(func, 0) + 1
        st.spawns[func] = n
        name = func if n == 1 else f"{func}#{n}"
        e = self._emit(st, g, ev.GO, line, obj=name)
        child = G(name, code, self.config.initial_stack)
        params = self.codes[code].params
        if params:
            child.regs = dict(zip(params, args, strict=True))
        st.gs[name] = child
        if st.own is not None:
            st.own.add(name)
        self._emit(st, child, ev.START, line, src=e.id)
        if self._push_frame(st, child, self.codes[code].frame, line):
            self._run_local(st, child)

    def _once(self, st: State, g: G, sid: tuple, o: str, func: str, line: int) -> None:
        state, done_event = st.once[o]
        if state == 2:  # already done: return at once, after f's completion
            self._touch(st, o, sid, write=False)
            self._emit(st, g, ev.ONCE, line, obj=o, phase=ev.BEGIN)
            self._emit(st, g, ev.ONCE, line, obj=o, phase=ev.END, src=done_event)
            g.pc += 2
            return
        self._touch(st, o, sid, write=True)
        self._emit(st, g, ev.ONCE, line, obj=o, phase=ev.BEGIN)
        st.once[o] = (1, None)
        self._call(st, g, func, g.pc + 1, line)

    def _alloc(self, st: State, g: G, ins: Alloc) -> None:
        """A captured variable's new location; its declaration is a write."""
        name = _fresh(st, g, ins.name)
        value = ins.value(g.regs)
        self._touch(st, name, st.sid, write=True)
        e = self._emit(st, g, ev.WRITE, ins.line, obj=name, value=value)
        st.vars[name] = value
        st.last_write[name] = e.id
        g.regs[ins.ref] = name
        g.pc += 1

    def _make(self, st: State, g: G, ins: Make) -> None:
        """A new channel (makechan): its name is the goroutine's and the variable's."""
        cap = ins.cap(g.regs)
        if cap < 0 or cap > MAX_INT_CHAN_CAP:
            raise GoPanic(names.MAKECHAN_SIZE)
        name = _fresh(st, g, ins.hint)
        st.chans[name] = HChan(name, cap)
        if st.own is not None:
            st.own.add(name)
        g.regs[ins.reg] = name  # type: ignore[assignment]  # a channel value is its name
        g.pc += 1

    def _slice_make(self, st: State, g: G, ins: SliceMake) -> None:
        """makeslice: a bad length panics first, then a bad capacity; the elements come when touched."""
        length = ins.len(g.regs)
        cap = length if ins.cap is None else ins.cap(g.regs)
        if not 0 <= length <= MAX_INT_CHAN_CAP:
            raise GoPanic(names.MAKESLICE_LEN)
        if not length <= cap <= MAX_INT_CHAN_CAP:
            raise GoPanic(names.MAKESLICE_CAP)
        g.regs[ins.reg] = header(self._array(st, g, ins.hint), length, cap)  # type: ignore[assignment]
        g.pc += 1

    def _atomic(self, st: State, g: G, sid: tuple, ins: Atomic, line: int) -> None:
        op, var, target = ins.op, ins.var, ins.target
        if ins.site is not None:
            var = g.regs[var]
        args = [f(g.regs) for f in ins.args]
        old = st.vars[var]
        src = st.last_write[var]
        if op == "Load":
            self._touch(st, var, sid, write=False)
            self._emit(st, g, ev.ATOMIC, line, obj=var, op=op, value=old, src=src)
            _set(g, target, old)
            return
        if op == "CompareAndSwap" and old != args[0]:
            self._touch(st, var, sid, write=False)
            self._emit(st, g, ev.ATOMIC, line, obj=var, op=op, value=old, old=old, ok=0, src=src)
            _set(g, target, 0)
            return
        self._touch(st, var, sid, write=True)
        if op == "Store":
            new, result = args[0], None
        elif op == "Add":
            new = wrap(old + args[0])
            result = new
        else:  # CompareAndSwap that succeeds
            new, result = args[1], 1
        e = self._emit(
            st,
            g,
            ev.ATOMIC,
            line,
            obj=var,
            op=op,
            value=new,
            old=None if op == "Store" else old,
            ok=1 if op == "CompareAndSwap" else None,
            src=None if op == "Store" else src,
        )
        st.vars[var] = new
        st.last_write[var] = e.id
        _set(g, target, result)

    def _panic(self, st: State, g: G, text: str, line: int, fatal: bool = False) -> None:
        """A panic runs the goroutine's deferred calls first, unless it is one of
        Go's fatal errors (``throw``); one that nothing recovers ends the program."""
        if not fatal and g.defers:
            g.status, g.pending = RUN, None
            g.panicking = (*g.panicking, Panicking(text, line, -1))
            self._unwind(st, g)
            return
        self._emit(st, g, ev.PANIC, line, text=text)
        st.end = End("panic", g.name, text, line)

    def _unwind(self, st: State, g: G) -> bool:
        """gopanic's loop: run the innermost deferred call, in the frame that
        deferred it (the frames above are gone; a ``once.Do`` among them is done,
        as doSlow's deferred store says). The call returns to where that frame
        would go on after a recovery: the return it was running its deferred
        calls for (its result already set), else its final return (zero
        results). An older panic whose deferred call is among the frames gone
        is aborted. With no deferred call left the panic ends the program at
        the goroutine's next step. False: it cannot run on."""
        p = g.panicking[-1]
        if not g.defers:
            g.panicking = ()
            self._fail(g, "panic", p.text, p.line)
            return False
        depth, code, args, line = g.defers[-1]
        g.defers = g.defers[:-1]
        resume = None
        while len(g.frames) > depth:
            caller, ret_pc, frame, saved, _result = g.frames.pop()
            g.stack_used -= frame
            if saved is not None:
                g.regs = dict(saved)
            g.code = caller
            after = self.codes[caller].instrs[ret_pc]
            if type(after) is OnceDone:
                self._touch(st, after.once, st.sid, write=True)
                e = self._emit(st, g, ev.ONCE, after.line, obj=after.once, phase=ev.END)
                st.once[after.once] = (2, e.id)
            resume = ret_pc if type(after) in (Ret, Return, Exit) else None
        instrs = self.codes[g.code].instrs
        g.pc = resume if resume is not None else len(instrs) - 1
        older = tuple(q for q in g.panicking[:-1] if q.depth <= depth)
        g.panicking = (*older, Panicking(p.text, p.line, depth + 1))
        return self._call(st, g, code, g.pc, line, args)

    # ---- local execution
    def _run_local(self, st: State, g: G) -> None:
        """Run ``g``'s register-only instructions up to its next visible one."""
        code = self.codes[g.code]
        instrs = code.instrs
        budget = self.config.max_local_steps
        while g.status == RUN:
            ins = instrs[g.pc]
            if not ins.local:
                return
            budget -= 1
            if budget < 0:
                self._fail(g, "cut", f"max-local-steps {self.config.max_local_steps}", code.lines[g.pc])
                return
            # type(ins) is ..., not class patterns: on CPython 3.11 a failing
            # isinstance looks up __class__ and a match allocates, and this loop
            # runs every register instruction of every step (3x the dispatch cost)
            t = type(ins)
            try:
                if t is Set:
                    g.regs[ins.reg] = ins.value(g.regs)
                    g.pc += 1
                elif t is Jz:
                    g.pc = ins.target if not ins.cond(g.regs) else g.pc + 1
                elif t is Jump:
                    g.pc = ins.target
                elif t is Bound:
                    count = g.regs[ins.counter] + 1
                    g.regs[ins.counter] = count
                    if count > ins.trips + self.config.unroll:
                        self._fail(g, "cut", f"unroll {self.config.unroll}", ins.line)
                        return
                    g.pc += 1
                elif t is Call:
                    if not self._call(st, g, ins.func, g.pc + 1, ins.line):
                        return
                    code = self.codes[g.code]
                    instrs = code.instrs
                elif t is Invoke:
                    args = tuple(f(g.regs) for f in ins.args)
                    if not self._call(st, g, ins.code, g.pc + 1, ins.line, args, ins.result):
                        return
                    code = self.codes[g.code]
                    instrs = code.instrs
                elif t is Alloc:
                    self._alloc(st, g, ins)
                elif t is Make:
                    self._make(st, g, ins)
                elif t is SliceMake:
                    self._slice_make(st, g, ins)
                elif t is MapMake:  # main.m{}: not main.m, a captured variable's location
                    name = self._array(st, g, ins.hint + "{}")
                    st.maps[name] = MapObj()
                    st.last_write[name] = self._emit(st, None, ev.INIT_WRITE, 0, obj=name, value=0).id
                    g.regs[ins.reg] = name  # type: ignore[assignment]  # a map value is its name
                    g.pc += 1
                elif t is ChanCap:
                    chan = ins.chan if ins.via is None else chan_value(g, ins.via)
                    g.regs[ins.reg] = st.chans[chan].dataqsiz if chan is not None else 0
                    g.pc += 1
                elif t is Defer:
                    g.defers = (*g.defers, (len(g.frames), ins.code, tuple(f(g.regs) for f in ins.args), ins.line))
                    g.pc += 1
                elif t is SetElem:
                    g.regs[element(ins.array, ins.index(g.regs), ins.length)] = ins.value(g.regs)
                    g.pc += 1
                elif t is Recover:
                    p = g.panicking[-1] if g.panicking else None
                    stops = p is not None and p.depth == len(g.frames)
                    if stops:
                        g.panicking = g.panicking[:-1]
                        self._emit(st, g, ev.RECOVER, ins.line, text=p.text, value=p.line)
                    _set(g, ins.result, int(stops))
                    g.pc += 1
                elif (t is Ret or t is Return or t is Exit) and (
                    (g.defers and g.defers[-1][0] == len(g.frames))
                    or (g.panicking and len(g.frames) < g.panicking[-1].depth)
                ):
                    # a return runs its frame's deferred calls first, coming back
                    # here after each; a panic that none of them recovered, back
                    # in the frame that deferred them, unwinds further
                    if g.defers and g.defers[-1][0] == len(g.frames):
                        _depth, callee, args, line = g.defers[-1]
                        g.defers = g.defers[:-1]
                        if not self._call(st, g, callee, g.pc, line, args):
                            return
                    elif not self._unwind(st, g):
                        return
                    code = self.codes[g.code]
                    instrs = code.instrs
                elif t is Ret or t is Return:
                    value = ins.value(g.regs) if t is Return and ins.value is not None else 0
                    if not g.frames:
                        self._emit(st, g, ev.EXIT, code.lines[g.pc])
                        g.status = DONE
                        return
                    caller, ret_pc, frame, saved, result = g.frames.pop()
                    g.stack_used -= frame
                    if saved is not None:  # back to the caller's registers
                        g.regs = dict(saved)
                        if result is not None:
                            g.regs[result] = value
                    g.code, g.pc = caller, ret_pc
                    code = self.codes[g.code]
                    instrs = code.instrs
                elif t is Assert:
                    if not ins.cond(g.regs):
                        self._fail(g, "assert", "assertion failed", ins.line)
                        return
                    g.pc += 1
                elif t is Panic:
                    if not self._local_panic(st, g, ins.text, ins.line):
                        return
                    code = self.codes[g.code]
                    instrs = code.instrs
                else:  # Exit, of a top-level body
                    if code.is_main:
                        return  # main's return is a visible step: it ends the program
                    self._emit(st, g, ev.EXIT, ins.line)
                    g.status = DONE
                    return
            except GoPanic as exc:
                if not self._local_panic(st, g, str(exc), code.lines[g.pc]):
                    return
                code = self.codes[g.code]
                instrs = code.instrs

    def _local_panic(self, st: State, g: G, text: str, line: int) -> bool:
        """A panic in register code: its deferred calls run at once (True: go on
        running them), or the goroutine's next step ends the program."""
        if not g.defers:
            g.panicking = ()
            self._fail(g, "panic", text, line)
            return False
        g.panicking = (*g.panicking, Panicking(text, line, -1))
        return self._unwind(st, g)

    def _fail(self, g: G, kind: str, text: str, line: int) -> None:
        g.status = CUT if kind == "cut" else FAIL
        g.pending = Pending(kind, text, line)

    def _call(
        self,
        st: State,
        g: G,
        func: str,
        ret_pc: int,
        line: int,
        args: tuple[int, ...] = (),
        result: str | None = None,
    ) -> bool:
        """Push a frame for ``func``. A Go-signature callee gets registers of its
        own (its parameters); the caller's are kept in the frame, a sorted tuple
        (hashable, and never changed while saved), and come back at its return."""
        callee = self.codes[func]
        if not self._push_frame(st, g, callee.frame, line):
            return False
        if callee.params is None:
            g.frames.append((g.code, ret_pc, callee.frame, None, None))
        else:
            g.frames.append((g.code, ret_pc, callee.frame, tuple(sorted(g.regs.items())), result))
            g.regs = dict(zip(callee.params, args, strict=True))
        g.code, g.pc = func, 0
        return True

    def _push_frame(self, st: State, g: G, frame: int, line: int) -> bool:
        """morestack/newstack: a frame that does not fit above the guard
        doubles the stack until it does, copying it (runtime/stack.go)."""
        cfg = self.config
        if g.stack_used + frame > g.stack_size - cfg.stack_guard:
            new = g.stack_size * 2
            while new - g.stack_used < frame + cfg.stack_guard:
                new *= 2
            if new > cfg.max_stack:
                self._fail(g, "fatal", names.STACK_OVERFLOW, line)
                return False
            self._emit(st, g, ev.SPLIT, line, split=(g.stack_size, new, g.stack_used, len(g.frames)))
            g.stack_size = new
        g.stack_used += frame
        return True

    # ---- bookkeeping
    def _emit(self, st: State, g: G | None, kind: str, line: int, **fields) -> Event:
        if g is None:
            name, idx = "init", 0
        else:
            name, idx = g.name, g.npo
            g.npo += 1
        e = Event(len(st.events), name, idx, kind, line, **fields)
        st.events.append(e)
        return e

    @staticmethod
    def _touch(st: State, obj: str, sid: tuple, write: bool) -> None:
        writes, reads = st.objseq.get(obj, ((), frozenset()))
        if write:
            st.objseq[obj] = ((*writes, sid), reads)
        else:
            st.objseq[obj] = (writes, reads | {(sid, len(writes))})


def chan_value(g: G, reg: str) -> str | None:
    """The channel register ``reg`` of ``g`` holds (None: nil, which reads 0)."""
    v = g.regs.get(reg, 0)
    return None if v == 0 else v  # type: ignore[return-value]


def _fresh(st: State, g: G, hint: str) -> str:
    """A new object's name: ``G.NAME``, then ``G.NAME#2``, ... (only ``g``
    makes names under its own, so they follow its history, whatever the
    others did)."""
    base = name = f"{g.name}.{hint}"
    k = 1
    while name in st.vars or name in st.chans:
        k += 1
        name = f"{base}#{k}"
    return name


def _op(sid: tuple, case: int | None) -> tuple:
    """A channel operation's name in the trace key: the step that began it and
    the select case it is (not the step's alternative: a case that completes at
    once and one that parked first and was woken are the same operation)."""
    return (sid[0], sid[1], case)


def _set(g: G, reg: str | None, value: int) -> None:
    if reg is not None:
        g.regs[reg] = value
