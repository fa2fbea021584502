"""The names both engines and every report share (herd's ``event.ml`` and
``flag.ml``): what a finding is called and which model flag raises it, the
happens-before edges a model names, and the Go runtime's own words for its
panics and for what a goroutine waits on. A name is changed here, once; the
engines are compared on these values, never on rendered text."""

from __future__ import annotations

from enum import StrEnum


class FindingKind(StrEnum):
    RACE = "race"
    SEND_CLOSE_RACE = "send-close-race"
    PANIC = "panic"
    DEADLOCK = "deadlock"
    LEAK = "leak"
    ASSERT = "assert"
    FLAG = "flag"  # a model's own flag, raised or not


# what an ``expect`` line may name, in the order the docs list them
EXPECTABLE: tuple[FindingKind, ...] = tuple(k for k in FindingKind if k != FindingKind.FLAG)
# the model flags that are races, and the finding each raises
RACE_FLAGS: dict[str, FindingKind] = {"data-race": FindingKind.RACE, "send-close-race": FindingKind.SEND_CLOSE_RACE}
RACES = frozenset(RACE_FLAGS.values())
FLAG_OF: dict[FindingKind, str] = {kind: flag for flag, kind in RACE_FLAGS.items()}
# what both engines look for, so what they must agree on
COMPARED = (FindingKind.PANIC, FindingKind.ASSERT, FindingKind.RACE, FindingKind.SEND_CLOSE_RACE, FindingKind.DEADLOCK)

# the edges between goroutines that go-sync.cat names, then the atomics' order and reads-from
SYNC_EDGES = ("spawn", "chan-send", "chan-close", "chan-unbuf", "chan-cap", "lock", "once", "wg")
HB_EDGES = (*SYNC_EDGES, "sc", "rf")

# the runtime's messages: runtime/chan.go, runtime/panic.go, runtime/proc.go,
# runtime/stack.go, sync/mutex.go, sync/waitgroup.go
SEND_ON_CLOSED = "send on closed channel"
CLOSE_OF_CLOSED = "close of closed channel"
CLOSE_OF_NIL = "close of nil channel"
DIVIDE_BY_ZERO = "runtime error: integer divide by zero"
INDEX_OUT_OF_RANGE = "runtime error: index out of range [{index}] with length {length}"
NEGATIVE_INDEX = "runtime error: index out of range [{index}]"
MAKESLICE_LEN = "runtime error: makeslice: len out of range"
MAKESLICE_CAP = "runtime error: makeslice: cap out of range"
NIL_MAP_WRITE = "assignment to entry in nil map"
# runtime/map.go's fatal errors where a map operation meets a write under way (hashWriting)
MAP_WRITES = "concurrent map writes"
MAP_READ_WRITE = "concurrent map read and map write"
MAP_ITERATION_WRITE = "concurrent map iteration and map write"
MAKECHAN_SIZE = "makechan: size out of range"  # runtime/chan.go makechan: a negative or too large capacity
DEADLOCK_TEXT = "all goroutines are asleep - deadlock!"
STACK_OVERFLOW = "stack overflow"
UNLOCK_OF_UNLOCKED = "sync: unlock of unlocked mutex"
NEGATIVE_COUNTER = "sync: negative WaitGroup counter"
WG_MISUSE = "sync: WaitGroup misuse: Add called concurrently with Wait"
WG_REUSED = "sync: WaitGroup is reused before previous Wait has returned"

# what a parked goroutine waits on, as Go's traceback says it (runtime/runtime2.go's
# waitReason strings; a sync object's wait adds the object's name)
WAIT_SEND = "chan send"
WAIT_RECEIVE = "chan receive"
NIL_CHAN = " (nil chan)"  # after WAIT_SEND or WAIT_RECEIVE
WAIT_SELECT = "select"
WAIT_SELECT_NO_CASES = "select (no cases)"
WAIT_LOCK = "sync.Mutex.Lock"
WAIT_WG = "sync.WaitGroup.Wait"
WAIT_ONCE = "sync.Once.Do"
