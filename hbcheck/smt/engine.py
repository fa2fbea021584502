"""The symbolic engine: every execution of the unrolled program that the
model allows, as z3 models (docs/engines.md).

The program is unfolded (``unfold``), encoded family by family into one
record (``encoding``: memory, time order, channels, sync objects, final
states), given the model's base relations (``relations``) and the compiled
model (``cat2z3``). This driver then asks: UNSAT proves (Never, Always, no
race, no panic) within the bound; SAT gives a witness; counts enumerate
models projected on the execution's choices (reads-from, write orders, FIFO
places, lock order), which is what the explicit engine's classes are.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import z3

from hbcheck.budget import Budget
from hbcheck.explore.execution import Execution, Finding
from hbcheck.language.check import Program
from hbcheck.language.locations import Location, locations, show_location
from hbcheck.models import Model
from hbcheck.smt.cat2z3 import Compiler, Rel, all_of, and_, any_of
from hbcheck.smt.channels import encode_channels
from hbcheck.smt.condition import condition_z3
from hbcheck.smt.encoding import Encoding
from hbcheck.smt.findings import deadlocks, failures, flagged
from hbcheck.smt.interrupt import watch_for_ctrl_c
from hbcheck.smt.memory import encode_memory, escaped_registers, final_values
from hbcheck.smt.order import encode_instances, encode_rand, encode_times
from hbcheck.smt.queries import Queries, Stopped
from hbcheck.smt.relations import base_relations
from hbcheck.smt.schedule import ReplayBudget, replay, sc_order
from hbcheck.smt.snapshot import Reader
from hbcheck.smt.syncobjs import encode_sync
from hbcheck.smt.unfold import NO_STOP, Unsupported, unfold
from hbcheck.smt.waiting import encode_waiting
from hbcheck.smt.witness import weak_execution

ENUMERATION_LIMIT = 20_000


@dataclass
class SmtAnswer:
    """z3's answer for one test; ``verdict`` makes it a result. When z3 steps
    aside or stops, ``reason`` says why and the outcome fields are empty."""

    program: Program
    model: Model
    reason: str | None = None  # why there is no answer: an unsupported construct, a timeout
    seconds: float = 0.0
    locations: list[Location] = field(default_factory=list)
    states: list[tuple[int, ...]] = field(default_factory=list)
    positive: int = 0
    negative: int = 0
    findings: Counter[Finding] = field(default_factory=Counter)  # each possible finding, once
    bounds: list[str] = field(default_factory=list)  # "unroll N" when the unrolling cut an execution
    replayed: int = 0  # SC-realisable executions the machine ran to the same values
    weak: int = 0  # executions with no SC schedule
    unconfirmed: int = 0  # SC-realisable executions the replay search gave up on
    witness: Execution | None = None  # an execution satisfying the condition (one with a schedule if any has)
    counter: Execution | None = None  # one violating it
    runs: list[Execution] = field(default_factory=list)  # with ``keep_runs``: every execution enumerated
    proved: str | None = None  # "Never" or "Always" when an UNSAT query proves it
    # False past ``count_limit``: the counts are then lower bounds (distinct
    # executions found), the states and verdict still exact
    counted: bool = True

    @property
    def answered(self) -> bool:
        return self.reason is None


def solve(
    program: Program,
    model: Model,
    unroll: int = 8,
    timeout_ms: int = 60_000,
    keep_runs: bool = False,
    count_limit: int = ENUMERATION_LIMIT,
    budget: Budget | None = None,
) -> SmtAnswer:
    """``keep_runs``: keep every normally ending execution as a record (for
    reports). ``count_limit``: past that many executions, stop counting and
    enumerate the remaining states only, one model each. ``budget``: the
    test's, which every query shares (each query also has ``timeout_ms``)."""
    start = time.perf_counter()
    watch_for_ctrl_c()
    q = Queries(budget or Budget(), timeout_ms)
    answer = SmtAnswer(program, model)
    try:
        q.within_budget()  # the explorer may have spent it all
        enc, comp, base = encode(program, model, unroll, q)
        _Driver(enc, comp, base, q, answer).run(keep_runs, count_limit)
    except (Unsupported, Stopped) as exc:
        answer = SmtAnswer(program, model, str(exc))
    answer.seconds = time.perf_counter() - start
    return answer


def encode(program: Program, model: Model, unroll: int, q: Queries) -> tuple[Encoding, Compiler, dict]:
    """The program's candidate executions and the model over them."""
    if program.map_at is not None:  # a map operation is two steps around a flag, its entries are not locations
        raise Unsupported(f"a map (line {program.map_at.line}) is not encoded in z3 yet")
    if program.slice_at is not None:  # a slice's elements are in backing arrays made while the program runs
        raise Unsupported(f"a slice (line {program.slice_at.line}) is not encoded in z3 yet")
    enc = Encoding(program, model, unfold(program, unroll), unroll)
    encode_memory(enc)
    escaped_registers(enc)
    encode_times(enc)
    encode_channels(enc)
    encode_sync(enc)
    encode_waiting(enc)
    encode_instances(enc)
    encode_rand(enc)
    q.within_budget()
    base = base_relations(enc)
    q.within_budget()
    comp = Compiler(base, len(enc.events), enc.chains)
    comp.compile(model, between=q.within_budget)
    q.constraints = [*enc.structural, *comp.constraints]
    return enc, comp, base


class _Driver:
    """The questions asked of one encoding, filling one answer."""

    def __init__(self, enc: Encoding, comp: Compiler, base: dict, q: Queries, answer: SmtAnswer) -> None:
        self.enc, self.comp, self.q, self.answer = enc, comp, q, answer
        self.order_rels: list[Rel] = [
            base["rf"],
            base["co"],
            base["fr"],
            base["lock"],
            *enc.sync.values(),
            enc.replay_order,
        ]
        self.modes()

    def modes(self) -> None:
        """The executions each question ranges over (docs/engines.md): ``ok`` the normally
        ending ones (every goroutine returned, or main did), ``stuck`` the deadlocked
        ones, ``prefix`` every run up to its first failure (panics, asserts, cuts, races)."""
        u = self.enc.u
        ends = [f.cond for f in u.failures] + list(u.cuts)
        waits = [b.waiting for b in u.blocked]
        main_waits = [b.waiting for b in u.blocked if b.g == "main"]
        full = all_of([stop == NO_STOP for stop in u.stops.values()])
        self.prefix = z3.PbLe([(c, 1) for c in ends], 1) if ends else z3.BoolVal(True)
        quiet = all_of([z3.Not(c) for c in ends] + self.enc.quiet)
        if self.enc.program.has_main:
            self.ok = and_(quiet, u.stops["main"] == NO_STOP, z3.Not(any_of(main_waits)))
            self.stuck = and_(quiet, full, any_of(main_waits))
        else:
            self.ok = and_(quiet, full, z3.Not(any_of(waits)))
            self.stuck = and_(quiet, full, any_of(waits))

    def run(self, keep_runs: bool, count_limit: int) -> None:
        enc, a = self.enc, self.answer
        p = enc.program
        a.locations = locations(p)
        values = final_values(enc, a.locations)
        ints = [n for n, v in p.shared.items() if v.kind == "int"]
        ints += [f"{n}[{k}]" for n, v in p.shared.items() if v.kind == "array" for k in range(v.cap or 0)]
        finals = dict(zip(ints, final_values(enc, [(n, None) for n in ints]), strict=True))
        for chan, cond in enc.u.overflows:
            if self.q.query(self.prefix, cond):
                raise Unsupported(f"a range over {chan} may receive more than --unroll {enc.unroll} values")
        for why, cond in [*enc.u.beyond, *enc.unsure]:
            if self.q.query(self.prefix, cond):
                raise Unsupported(why)
        holds = None
        if p.condition is not None:
            env = {show_location(loc): v for loc, v in zip(a.locations, values, strict=True)}
            holds = condition_z3(p.condition.expr, env)
        self.enumerate(values, holds, finals, keep_runs, count_limit)
        # the verdict, proved by one more UNSAT query: no normal execution satisfies (violates) it
        if (
            holds is not None
            and (a.positive == 0 or a.negative == 0)
            and not self.q.query(self.ok, holds if a.positive == 0 else z3.Not(holds))
        ):
            a.proved = "Never" if a.positive == 0 else "Always"
        a.findings.update(deadlocks(enc, self.q, self.stuck))
        a.findings.update(self.q.possible(self.prefix, failures(enc) + flagged(enc, self.comp)))
        if enc.u.cuts:
            no_fail = all_of([z3.Not(f.cond) for f in enc.u.failures])
            if self.q.query(any_of(enc.u.cuts), no_fail):
                a.bounds = [f"unroll {enc.unroll}"]

    def enumerate(
        self,
        values: list[z3.BitVecRef],
        holds: z3.BoolRef | None,
        finals: dict[str, z3.BitVecRef],
        keep_runs: bool,
        count_limit: int,
    ) -> None:
        """The states and the counts: one model per execution (projected on its
        choices), each replayed on the machine or, weak, rebuilt as a record."""
        enc, a = self.enc, self.answer
        s = self.q.shared
        s.push()
        s.add(self.ok)
        states: set[tuple[int, ...]] = set()
        seen = 0
        reader = Reader(self.read_terms(values, holds, finals))
        queues = [
            [o for o in enc.u.chan_ops if (o.chan, o.kind) == key]
            for key in sorted({(o.chan, o.kind) for o in enc.u.chan_ops if o.chan is not None})
        ]
        while self.q.check(s):
            m = reader.read(s.model())
            state = tuple(m.num(v) for v in values)
            states.add(state)
            satisfied = holds is not None and m.true(holds)
            if satisfied:
                a.positive += 1
            else:
                a.negative += 1
            order = sc_order(m, enc.events, self.order_rels, queues)
            run: Execution | None = None
            if order is None:
                a.weak += 1
                run = weak_execution(m, enc, finals, enc.model, enc.names(m))
            else:
                try:
                    run = replay(enc.program, enc.unroll, enc.u, m, order, finals, enc.names(m))
                    a.replayed += 1
                except ReplayBudget:
                    a.unconfirmed += 1
            if run is not None:
                if keep_runs:
                    a.runs.append(run)
                if satisfied:
                    a.witness = _better(a.witness, run)
                else:
                    a.counter = _better(a.counter, run)
            seen += 1
            if seen >= ENUMERATION_LIMIT:
                what = "executions" if a.counted else "states"
                raise Stopped(f"solver timeout (more than {ENUMERATION_LIMIT} {what} to enumerate)")
            if a.counted and seen >= count_limit:
                # each later model is a new state, so a new execution: the counts
                # stay lower bounds while the states and findings stay exact
                a.counted = False
                for known in states - {state}:
                    s.add(z3.Or([v != k for v, k in zip(values, known, strict=True)]))
            s.add(m.other_than(enc.choices if a.counted else values))
        s.pop()
        a.states = sorted(states)

    def read_terms(
        self, values: list[z3.BitVecRef], holds: z3.BoolRef | None, finals: dict[str, z3.BitVecRef]
    ) -> list[z3.ExprRef]:
        """What the enumeration reads from each model (``snapshot``)."""
        enc = self.enc
        terms: list[z3.ExprRef] = [*values, *finals.values(), *enc.choices]
        terms += [holds] if holds is not None else []
        for e in enc.events:
            terms += [e.act, e.val] + ([e.time] if e.time is not None else [])
        terms += [t for o in enc.u.chan_ops for t in (o.done, o.time)]
        terms += [v for regs in enc.u.regs.values() for v in regs.values()]
        terms += [cond for rel in self.order_rels for cond in rel.values()]
        return terms


def _better(kept: Execution | None, new: Execution) -> Execution:
    """The first execution found, unless it has no schedule (a weak one) and ``new`` has."""
    return new if kept is None or (not kept.schedule and new.schedule) else kept


__all__ = ["ENUMERATION_LIMIT", "SmtAnswer", "encode", "solve"]
