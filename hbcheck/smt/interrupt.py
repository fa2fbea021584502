"""Interrupting z3: on Ctrl-C, and past a test's memory limit.

Left to itself, z3 catches SIGINT during a query and answers "unknown", so
Ctrl-C made the test Unknown and the run went on. Our solvers leave SIGINT
to Python (``ctrl_c`` false); Python's handler only runs once z3 returns, so
a watcher thread, woken through Python's signal wakeup fd, interrupts z3 at
once, and the interruption is then raised as anywhere else.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import z3

from hbcheck.budget import Budget, resident_mib

_watching = False


def watch_for_ctrl_c() -> None:
    """Start the watcher, once, where it can work: in the main thread of a
    process that handles SIGINT (``-j`` workers ignore it: their parent stops
    them), and whose wakeup fd nobody else uses."""
    global _watching
    if _watching or threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, signal.SIG_DFL):
        return
    read, write = os.pipe()
    os.set_blocking(write, False)
    previous = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    if previous != -1:  # someone else's: leave it
        signal.set_wakeup_fd(previous)
        os.close(read)
        os.close(write)
        return
    threading.Thread(target=_watch, args=(read,), name="hbcheck-ctrl-c", daemon=True).start()
    _watching = True


def _watch(fd: int) -> None:
    while signal.SIGINT not in os.read(fd, 64):
        pass
    # A query may start between Python's noting the signal and its handler
    # raising: keep interrupting until the interruption ends the process.
    while True:
        z3.main_ctx().interrupt()
        time.sleep(0.05)


class _Watched:
    """The budget of the query z3 is running, if any (a query's own timeout
    bounds its time; memory has no such limit in z3 that spares the rest of
    the process: its memory_max_size fails arbitrary later calls)."""

    budget: Budget | None = None
    thread: threading.Thread | None = None


def check_within(s: z3.Solver, budget: Budget) -> z3.CheckSatResult:
    """``s.check()``, interrupted once the process's resident memory passes
    the budget's limit (polled every 0.1 s by a watcher thread)."""
    if budget.memory_mib is None:
        return s.check()
    if _Watched.thread is None:
        _Watched.thread = threading.Thread(target=_watch_memory, name="hbcheck-memory", daemon=True)
        _Watched.thread.start()
    _Watched.budget = budget
    try:
        return s.check()
    finally:
        _Watched.budget = None


def _watch_memory() -> None:
    while True:
        time.sleep(0.1)
        budget = _Watched.budget
        if budget is not None and budget.memory_mib is not None and resident_mib() > budget.memory_mib:
            z3.main_ctx().interrupt()
