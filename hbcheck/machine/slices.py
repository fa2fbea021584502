"""Slice headers and growth, as runtime/slice.go keeps them (Go 1.19).

A slice value is its header: the backing array's name, the length and the
capacity, kept as one string (``ARRAY|LEN|CAP``) so that memory, traces and
saved final states hold it as they hold a channel's name; nil is 0. An
element of a backing array is the location ``ARRAY[i]``.
"""

from __future__ import annotations

from bisect import bisect_left

Header = str | int  # a slice's header, or 0: nil

# runtime/sizeclasses.go: the allocator's size classes up to 32 KiB, in bytes
SIZE_CLASSES = (
    0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352, 384,
    416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072,
    3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568,
    14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768,
)  # fmt: skip
PAGE = 8192
ELEM = 8  # bytes of an int


def header(array: str, length: int, cap: int) -> str:
    return f"{array}|{length}|{cap}"


def parts(h: Header) -> tuple[str | None, int, int]:
    """The backing array (None for nil), the length and the capacity."""
    if not isinstance(h, str):
        return None, 0, 0
    array, length, cap = h.rsplit("|", 2)
    return array, int(length), int(cap)


def element(array: str, index: int) -> str:
    return f"{array}[{index}]"


def roundupsize(size: int) -> int:
    """runtime/msize.go: the size a request of ``size`` bytes is given."""
    if size <= SIZE_CLASSES[-1]:
        return SIZE_CLASSES[bisect_left(SIZE_CLASSES, size)]
    return -(-size // PAGE) * PAGE


def grown_cap(old_cap: int, needed: int) -> int:
    """growslice's new capacity for ints: double below 256 elements, then by
    a quarter plus 192, at least what is needed, rounded up to a size class."""
    new = old_cap
    if needed > 2 * old_cap:
        new = needed
    elif old_cap < 256:
        new = 2 * old_cap
    else:
        while 0 < new < needed:
            new += (new + 3 * 256) // 4
        if new <= 0:
            new = needed
    return roundupsize(new * ELEM) // ELEM
