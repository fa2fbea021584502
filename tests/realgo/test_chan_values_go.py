"""Channels as values in Go: a channel variable is a Go variable of its
channel type (a register of its own type, a pointer where a closure
captured it), ``make`` runs where the test makes the channel, and the real
runtime shows no state, panic or race the model rules out, on the suite's
channel-value tests and generated ones."""

from __future__ import annotations

import re

from helpers import drawn, emitted_build_failures, lit, needs_go, program, validate_verdicts
from programs import chan_value_text

from hbcheck.realgo.emit import emit_go

CHAN_VALUE_SUITE = sorted(lit("request-reply.lit").parent.glob("*.lit"))


def test_channel_variables_keep_their_go_types():
    go = emit_go(program(lit("request-reply.lit").read_text(), "r.lit"), "r.lit")
    assert re.search(r"\tc_reqs +chan chan int64\n", go)  # the env's field, aligned as gofmt aligns it
    assert "g.kci_r = make(chan int64)" in go  # a local channel: a register of its type
    assert "e.c_reqs <- g.kci_r" in go  # sent as a value
    assert "g.kci_reply = <-e.c_reqs" in go
    # main's done is captured by the literal: a pointer to a channel variable
    assert "g.pci_done = ref(make(chan int64, int(int64(1))))" in go
    assert "func ref[T any](v T) *T {" in go


def test_a_go_statement_passes_the_channel_its_variable_holds_then():
    text = """litmus Pass
func worker(out chan int) {
    out <- 1
}
func mk() chan chan int {
    return make(chan chan int)
}
func main() {
    c := make(chan int, 1)
    go worker(c)
    c = nil
    cc := mk()
    cc = nil
}
"""
    go = emit_go(program(text, "p.lit"), "p.lit")
    assert "func (e *env) f_mk(g *regs) chan chan int64 {" in go  # a channel result keeps its type
    # the argument is read by the spawner, before c changes
    assert "t1 := g.kci_c\n" in go
    assert "e.f_worker(g, t1)" in go


@needs_go
def test_validate_confirms_the_channel_value_suite_and_generated_programs(tmp_path):
    verdicts = validate_verdicts(tmp_path, CHAN_VALUE_SUITE, drawn(chan_value_text(), 12), "ChanValues")
    assert set(verdicts) == {"ok"}


@needs_go
def test_generated_channel_value_programs_build(tmp_path):
    assert emitted_build_failures(tmp_path, drawn(chan_value_text(), 30)) == []
