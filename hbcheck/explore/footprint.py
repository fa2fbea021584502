"""What each goroutine may still touch: the static side of the reduced search.

A ``Footprint`` is the objects a step (or everything a goroutine may still
do) reads and writes, in the trace key's own terms (``Machine._touch``), and
whether it may end the whole program (a panic, a failed assert, a bound, or
``main`` returning). Ending the program disables every other goroutine, so
such a step conflicts with any goroutine that is not done.

Footprints are over-approximations computed once per program: a goroutine's
future is the union over every instruction reachable from its pc, through
calls, ``once`` bodies, the goroutines it spawns, and the frames it returns
to. A step on a channel also counts every channel that shares a ``select``
with it: waking a goroutine parked in that select dequeues it from all of
them (``Machine._unpark``).

A channel value (a channel in a register, known only when the step runs)
is resolved for a goroutine's next step, and stands for any channel in its
future: there it writes ``ANY``, which every channel step of such a program
reads, so it conflicts with each of them. A ``select`` with a channel value
among its cases may share a queue with any channel, so where one exists
every resolved step writes ``ANY`` as well.
"""

from __future__ import annotations

import dataclasses
import itertools
from functools import cache

import networkx as nx

from hbcheck.language import ast
from hbcheck.language.check import ANY_CHANNEL, Program
from hbcheck.machine.code import Code
from hbcheck.machine.config import MachineConfig
from hbcheck.machine.instructions import (
    Alloc,
    Assert,
    Atomic,
    Block,
    Bound,
    Call,
    ChanCap,
    ChanLen,
    Close,
    Defer,
    Exit,
    Go,
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
    Recv,
    Ret,
    Return,
    Select,
    Send,
    Set,
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
from hbcheck.machine.machine import Machine, chan_value
from hbcheck.machine.state import CUT, DONE, FAIL, PARKED, G

ANY = "chan:*"  # any channel: what an operation on a channel value may touch


@dataclasses.dataclass(frozen=True, slots=True)
class Footprint:
    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    ends: bool = False  # may end the program

    def __or__(self, other: Footprint) -> Footprint:
        return Footprint(self.reads | other.reads, self.writes | other.writes, self.ends or other.ends)

    def conflicts(self, future: Footprint) -> bool:
        """Whether a step with this footprint may be affected by, or affect,
        any step of a goroutine whose future is ``future`` (not done)."""
        if self.ends or future.ends:
            return True
        return bool(self.writes & (future.reads | future.writes) or self.reads & future.writes)


NONE = Footprint()
ENDS = Footprint(ends=True)


class Footprints:
    """Per-program footprint tables, queried per goroutine and state."""

    def __init__(self, program: Program, codes: dict[str, Code], config: MachineConfig):
        self.codes = codes
        nodes = list(ast.nodes(program.test))
        self.divides = any(isinstance(n, ast.Binary) and n.op in ("/", "%") for n in nodes)
        self.closable = program.closed_channels
        # channel values: each channel step reads ANY, which a value's step writes
        self.values = program.chan_value is not None
        self.any = frozenset({ANY}) if self.values else frozenset()
        # their Wait may park (a write: a waiter), and its woken return may panic (reused)
        self.shared_wgs = program.shared_waitgroups()
        # channels that share a select: an operation on one may dequeue a waiter from the others
        groups = nx.Graph()
        calls = nx.DiGraph()
        for c in codes.values():
            calls.add_node(c.name)
            for i in c.instrs:
                match i:
                    case Select(cases=cases):
                        chans = [case.chan if case.via is None else ANY for case in cases if case.chan or case.via]
                        groups.add_nodes_from(chans)
                        groups.add_edges_from(itertools.pairwise(chans))
                    case Call(func=f) | Invoke(code=f) | Once(func=f) | Defer(code=f):
                        calls.add_edge(c.name, f)
                    case Go(func=f, code=key):
                        calls.add_edge(c.name, key or f)
        self.partners = {ch: frozenset(comp) for comp in nx.connected_components(groups) for ch in comp}
        # a select over a channel value: any channel may share a queue with any other
        self.value_selects = ANY in self.partners
        # without recursion the stack never exceeds twice every frame plus the guard
        total = sum(c.frame for c in codes.values()) + config.stack_guard + config.initial_stack
        self.overflows = not nx.is_directed_acyclic_graph(calls) or 2 * total > config.max_stack
        self._active: set[str] = set()
        self._reach = cache(self._reach_uncached)
        self._summary = cache(self._summary_uncached)

    # ---- single instructions
    def _chans(self, chans: list[str]) -> frozenset[str]:
        out: set[str] = set()
        for ch in chans:
            out |= self.partners.get(ch, {ch})
            if self.value_selects and ch != ANY:  # a made channel may be in a select of values
                out.add(ANY)
        return frozenset(out)

    def _closable(self, ch: str) -> bool:
        return ch in self.closable or ANY_CHANNEL in self.closable

    def _chan_step(self, writes: frozenset[str], ends: bool) -> Footprint:
        return Footprint(reads=self.any, writes=writes, ends=ends)

    def instr(self, code: Code, pc: int) -> Footprint:
        """The instruction's own footprint (not what it calls or spawns); a
        channel value stands for any channel."""
        return self._of(code.instrs[pc], code.is_main)

    def _of(self, ins: object, is_main: bool) -> Footprint:
        div = self.divides
        match ins:
            case Send(via=str()):
                return self._chan_step(frozenset({ANY}), div or bool(self.closable))
            case Recv(via=str()) | ChanLen(via=str()):
                return self._chan_step(frozenset({ANY}), False)
            case Close(via=str()):
                return self._chan_step(frozenset({ANY}), True)
            case ChanLen(chan=None):
                return NONE
            case ChanLen(chan=ch):
                return Footprint(reads=self.any | {ch})
            case Make(may_panic=may_panic):
                return ENDS if div or may_panic else NONE
            case ChanCap():
                return NONE
            case Load(var=var, site=site, index=index):  # a captured variable: every location of its name
                # (an array: every element; a computed index may be out of range, a panic)
                return Footprint(reads=frozenset({site or var}), ends=index is not None)
            case Store(var=var, site=site, index=index):
                return Footprint(writes=frozenset({site or var}), ends=div or index is not None)
            case Atomic(var=var, site=site):
                return Footprint(writes=frozenset({site or var}), ends=div)
            case Send(chan=None) | Recv(chan=None):
                return NONE
            case Close(chan=None):
                return ENDS
            case Send(chan=ch):
                return self._chan_step(self._chans([ch]), div or self._closable(ch))
            case Recv(chan=ch):
                return self._chan_step(self._chans([ch]), False)
            case Close(chan=ch):
                return self._chan_step(self._chans([ch]), True)
            case Select(cases=cases):
                chans = [c.chan if c.via is None else ANY for c in cases if c.chan is not None or c.via is not None]
                sends = [c.chan if c.via is None else ANY for c in cases if c.send]
                ends = bool(sends) and (div or any(ch is not None and self._closable(ch) for ch in sends))
                return self._chan_step(self._chans(chans), ends)
            case Go(func=func, args=args):
                return Footprint(writes=frozenset({f"go:{func}"}), ends=self.overflows or (div and bool(args)))
            case Call():
                return Footprint(ends=self.overflows)
            case Defer(args=args):  # its arguments may divide by zero; the call, at return, overflow
                return Footprint(ends=self.overflows or (div and bool(args)))
            case Invoke(args=args):  # its arguments may divide by zero
                return Footprint(ends=self.overflows or (div and bool(args)))
            case Return(value=value):
                return ENDS if div and value is not None else NONE
            case Lock(mutex=obj) | OnceDone(once=obj):
                return Footprint(writes=frozenset({obj}))
            case Once(once=obj):
                return Footprint(writes=frozenset({obj}), ends=self.overflows)
            case Unlock(mutex=obj) | WgAdd(wg=obj) | WgDone(wg=obj):  # unlock of unlocked, negative counter
                return Footprint(writes=frozenset({obj}), ends=True)
            case WgWait(wg=w):
                if w in self.shared_wgs:
                    return Footprint(writes=frozenset({w}), ends=True)
                return Footprint(reads=frozenset({w}))
            case SliceLoad(key=key):  # every element of every backing array the slice may hold
                return Footprint(reads=frozenset({key + "[]"}), ends=True)  # an index out of range
            case SliceStore(key=key):
                return Footprint(writes=frozenset({key + "[]"}), ends=True)
            case SliceAppend(key=key):  # the copy reads the old elements, the new ones are written
                return Footprint(writes=frozenset({key + "[]"}), ends=div)
            case SliceMake():
                return ENDS  # a bad size panics
            case MapMake():
                return NONE
            case MapDone(map=None, via=None):
                return NONE
            case MapRead(map=None, via=None) | MapLen(map=None, via=None) | MapNext(map=None, via=None):
                return ENDS if div else NONE  # a nil map: nothing to touch (a computed key may divide)
            case MapWrite(map=None, via=None, value=None):
                return ENDS if div else NONE
            case MapWrite(map=None, via=None):
                return ENDS  # assignment to entry in nil map
            # a map value (``via``) may be any map, or nil: its key names every map
            case MapLen(site=k):
                return Footprint(reads=frozenset({k}), ends=div)
            case MapRead(site=k) | MapNext(site=k):  # a write under way: Go's fatal error
                return Footprint(reads=frozenset({k}), ends=True)
            case MapWrite(site=k):  # concurrent map writes (a nil map: its panic)
                return Footprint(writes=frozenset({k}), ends=True)
            case MapDone(site=k):
                return Footprint(writes=frozenset({k}))
            case Set() | Jz() | Alloc():
                return ENDS if div else NONE
            case Assert() | Panic() | Bound():
                return ENDS
            case Exit():
                return ENDS if is_main else NONE
        return NONE  # Jump, Ret, Block

    # ---- futures
    def _succ(self, code: Code, pc: int) -> list[int]:
        match code.instrs[pc]:
            case Ret() | Return() | Exit() | Block() | Panic():
                return []
            case Jump(target=target):
                return [target]
            case Jz(target=target):
                return [pc + 1, target]
            case Select(cases=cases, default_pc=default_pc):
                return [c.body_pc for c in cases] + ([default_pc] if default_pc is not None else [])
            case Once():
                return [pc + 1, pc + 2]
        return [pc + 1]

    def _reach_uncached(self, name: str, pc: int) -> Footprint:
        """Everything reachable from ``pc`` in ``name`` up to its return."""
        code = self.codes[name]
        seen = {pc}
        todo = [pc]
        out = NONE
        while todo:
            p = todo.pop()
            out |= self.instr(code, p)
            match code.instrs[p]:
                case Call(func=f) | Invoke(code=f) | Once(func=f) | Defer(code=f):
                    out |= self._summary(f)
                case Go(func=f, code=key):
                    out |= self._summary(key or f)
            for q in self._succ(code, p):
                if q not in seen:
                    seen.add(q)
                    todo.append(q)
        return out

    def _summary_uncached(self, name: str) -> Footprint:
        """A whole function's footprint. Recursion is cut short here, which is
        sound only because a recursive program's calls and spawns all ``end``
        (a stack overflow), and that conflicts with everything anyway."""
        if name in self._active:
            return NONE
        self._active.add(name)
        try:
            return self._reach(name, 0)
        finally:
            self._active.discard(name)

    def future(self, g: G) -> Footprint:
        """Every step ``g`` may still take, with what it calls and spawns."""
        if g.status == DONE:
            return NONE
        if g.status in (FAIL, CUT):
            return ENDS
        # a panicking goroutine ends the program unless a deferred call recovers
        out = ENDS if g.panicking else NONE
        for d in g.defers:  # calls deferred already; a panic may unwind to any frame's end
            out |= self._summary(d[1])
        if not g.frames:
            return out | self._reach(g.code, g.pc)
        return out | self._future(g.code, g.pc, tuple((f[0], f[1]) for f in g.frames))

    @cache  # noqa: B019 - one Footprints per exploration
    def _future(self, code: str, pc: int, frames: tuple[tuple[str, int], ...]) -> Footprint:
        out = self._reach(code, pc)
        for caller, ret_pc in frames:
            out |= self._reach(caller, ret_pc)
        return out

    def next_step(self, g: G) -> Footprint:
        """What ``g``'s next step touches (a select: every case, whichever
        runs). For a goroutine that cannot move it names what could let it:
        the channels it is parked on, the mutex, wait group or once it waits for."""
        if g.status in (FAIL, CUT):
            return ENDS
        if g.status == PARKED:
            # a waker may reach it through a channel value (ANY in its future)
            fp = Footprint(reads=self.any, writes=frozenset(g.parked))
            code = self.codes[g.code]
            if not g.parked and g.pc < len(code.instrs) and isinstance(code.instrs[g.pc], WgWait):
                # parked in a shared wait group's Wait (its pc stays there): the
                # releasing Add wakes it. (A goroutine parked for ever on a nil
                # channel just before a Wait gets the same, harmless, footprint:
                # the explorer's memo of persistent sets cannot tell the two apart.)
                fp |= self.instr(code, g.pc)
            return fp
        if g.status == DONE:
            return NONE
        code = self.codes[g.code]
        ins = code.instrs[g.pc]
        if self.values and isinstance(ins, Send | Recv | Close | ChanLen | Select):
            return self._resolved(code, g)
        return self.instr(code, g.pc)

    def _resolved(self, code: Code, g: G) -> Footprint:
        """The next step's footprint with its channel values read from ``g``'s registers."""
        ins = code.instrs[g.pc]
        if isinstance(ins, Select):
            ins = Machine.cases(g, ins)
        elif getattr(ins, "via", None) is not None:
            ins = dataclasses.replace(ins, chan=chan_value(g, ins.via), via=None)  # type: ignore[call-arg]
        return self._of(ins, code.is_main)
