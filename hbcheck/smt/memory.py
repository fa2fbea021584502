"""Memory: reads-from, the write order per variable and the SC order of the
atomics, as z3 variables (which write each read reads, each write's place in
its variable's order); the model's constraints range over them."""

from __future__ import annotations

from itertools import combinations

import z3

from hbcheck.machine import events as mev
from hbcheck.smt.cat2z3 import all_of, and_, any_of, implies
from hbcheck.smt.encoding import Encoding
from hbcheck.smt.unfold import SEvent

Location = tuple[str, str | None]  # (proc, reg) for a register, (var, None) for a shared variable


def encode_memory(enc: Encoding) -> None:
    """Each read reads exactly one write of its value; the writes of a
    variable take distinct places in its order, the initial write first."""
    enc.choices.extend(e.act for e in enc.events if e.kind != mev.INIT_WRITE)
    by_loc: dict[str, list[SEvent]] = {}
    for e in enc.events:
        if e.reads or e.writes:
            by_loc.setdefault(e.loc, []).append(e)
    for loc, es in by_loc.items():
        writes = [e for e in es if e.writes]
        reads = [e for e in es if e.reads]
        _write_order(enc, writes)
        for r in reads:
            options = []
            for w in writes:
                if w.id == r.id or w.rmw_of == r.id:
                    continue
                b = z3.Bool(f"rf{w.id}_{r.id}")
                enc.rf[(w.id, r.id)] = b
                enc.structural.append(implies(b, and_(w.act, r.act, r.val == w.val)))
                options.append(b)
                enc.choices.append(b)
            enc.structural.append(implies(r.act, z3.PbEq([(o, 1) for o in options], 1)))
            enc.structural.append(implies(z3.Not(r.act), all_of([z3.Not(o) for o in options])))
        if loc in enc.u.atomic_vars:
            sc_atomics(enc, writes, reads)


def _write_order(enc: Encoding, writes: list[SEvent]) -> None:
    for w in writes:
        enc.pos[w.id] = z3.Int(f"pos{w.id}")
        enc.structural.append(enc.pos[w.id] == 0 if w.first else enc.pos[w.id] >= 1)
    for a, b in combinations(writes, 2):
        enc.structural.append(implies(and_(a.act, b.act), enc.pos[a.id] != enc.pos[b.id]))
        enc.co[(a.id, b.id)] = and_(a.act, b.act, enc.pos[a.id] < enc.pos[b.id])
        enc.co[(b.id, a.id)] = and_(a.act, b.act, enc.pos[b.id] < enc.pos[a.id])
        enc.choices.append(enc.co[(a.id, b.id)])


def sc_atomics(enc: Encoding, writes: list[SEvent], reads: list[SEvent]) -> None:
    """Atomics are sequentially consistent: one total order of all of them,
    an atomic read that reads an atomic write reading the latest one before
    it, an RMW's write right after its read. On a variable also accessed
    plainly, a read may read a plain write instead (the model decides which)
    and the plain writes take any place in the write order the model allows."""
    # a declaration (a captured variable's first write) comes before all, like an initial write
    timed = [w for w in writes if w.kind == mev.ATOMIC or w.first]
    mixed = len(timed) < len(writes) or any(r.kind != mev.ATOMIC for r in reads)
    for r in reads:
        if r.kind != mev.ATOMIC:
            continue
        for w in timed:
            if (w.id, r.id) not in enc.rf:
                continue
            later = [w2 for w2 in timed if w2.id != w.id and w2.rmw_of != r.id]
            before_r = atomic_before(w, r)
            hidden = any_of([and_(w2.act, atomic_before(w, w2), atomic_before(w2, r)) for w2 in later])
            latest = and_(w.act, r.act, before_r, z3.Not(hidden))
            rf = enc.rf[(w.id, r.id)]
            enc.structural.append(implies(rf, latest) if mixed else rf == latest)
            if mixed and w.kind == mev.ATOMIC and not w.time.eq(r.time):
                # an atomic read of a plain write leaves its order against the
                # atomic writes open: that order is part of the execution
                enc.choices.append(and_(w.act, r.act, w.time < r.time))
    if mixed:
        rmw_atomicity(enc, writes, reads)
    for w in timed:
        if not w.first:
            # the write order of the atomic writes is their SC order
            for w2 in timed:
                if w2.id != w.id and not w2.first:
                    enc.structural.append(
                        implies(and_(w.act, w2.act), (enc.pos[w.id] < enc.pos[w2.id]) == atomic_before(w, w2))
                    )


def rmw_atomicity(enc: Encoding, writes: list[SEvent], reads: list[SEvent]) -> None:
    """An RMW's write comes right after the write its read reads, in the
    write order: no write between them (herd's ``empty rmw & (fre; coe)``).
    Among atomics alone the SC order gives it; a plain write (an initial
    store, a captured variable's declaration) has no place in that order, and
    two Adds could otherwise both read it and lose one update."""
    for r in reads:
        half = next((w for w in writes if w.rmw_of == r.id), None)
        if half is None:
            continue
        for w in writes:
            rf = enc.rf.get((w.id, r.id))
            if rf is None:
                continue
            pos_w, pos_half = enc.pos[w.id], enc.pos[half.id]
            enc.structural.append(implies(and_(rf, half.act), pos_w < pos_half))
            for w2 in writes:
                if w2.id not in (w.id, half.id):
                    between = and_(pos_w < enc.pos[w2.id], enc.pos[w2.id] < pos_half)
                    enc.structural.append(implies(and_(rf, half.act, w2.act), z3.Not(between)))


def apos(e: SEvent) -> z3.ArithRef:
    """An atomic's place in the SC order (the initial write, or a captured
    variable's declaration, before all)."""
    if e.first:
        return z3.IntVal(-1)
    assert e.time is not None
    return e.time


def atomic_before(a: SEvent, b: SEvent) -> z3.BoolRef:
    if (a.rmw_of is not None and a.rmw_of == b.id) or (b.rmw_of is not None and b.rmw_of == a.id):
        return z3.BoolVal(b.rmw_of == a.id)  # the read half comes first
    return apos(a) < apos(b)


def final_values(enc: Encoding, locs: list[Location]) -> list[z3.BitVecRef]:
    """What a final state shows at each location: a register's last value (of
    the instance the run named so), a variable's last write in its order."""
    out = []
    for name, reg in locs:
        if reg is not None:
            value = enc.u.regs.get(name, {}).get(reg, z3.BitVecVal(0, 64))
            for g in enc.instance_of:  # an instance of a function named by the run
                for actual, cond in enc.named(g):
                    if actual == name:
                        got = enc.u.regs.get(g, {}).get(reg, z3.BitVecVal(0, 64))
                        value = z3.If(and_(enc.instance_of[g][1].act, cond), got, value)
            out.append(value)
            continue
        out.append(_last_write(enc, name))
    return out


def _last_write(enc: Encoding, name: str) -> z3.BitVecRef:
    """The value of a variable's last write in its order (0 if none)."""
    writes = [e for e in enc.events if e.loc == name and e.writes]
    value = z3.BitVecVal(0, 64)
    for w in writes:
        last = and_(w.act, *[z3.Not(and_(w2.act, enc.pos[w2.id] > enc.pos[w.id])) for w2 in writes if w2.id != w.id])
        value = z3.If(last, w.val, value)
    return value


def escaped_registers(enc: Encoding) -> None:
    """A register a closure captured lives in memory: a final state shows the
    final value of the location it names at its goroutine's end (0 if none),
    as the machine's ``user_regs`` reads it. Set among the registers."""
    finals = {k: _last_write(enc, loc) for loc, k in enc.u.cells.items()}
    for g, refs in enc.u.escaped.items():
        for n, cell in refs.items():
            known = z3.simplify(cell)
            if z3.is_bv_value(known):
                value = finals.get(known.as_long(), z3.BitVecVal(0, 64))
            else:
                value = z3.BitVecVal(0, 64)
                for k, v in finals.items():
                    value = z3.If(cell == k, v, value)
            enc.u.regs.setdefault(g, {})[n] = value
