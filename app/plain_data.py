"""Values that cross between processes: what a bulk import's preparing processes send back."""

from __future__ import annotations

from typing import Any


class PlainData:
    """A base for frozen slotted dataclasses of plain values, pickled as their class and fields.

    Their default pickle is a state that unpickling sets slot by slot through object.__setattr__
    (frozen classes refuse plain assignment): calling the class with the fields instead takes a
    third less time, and an import unpickles every record it writes (bench/README.md)."""

    __slots__: tuple[str, ...] = ()

    def __reduce__(self) -> tuple[type[PlainData], tuple[Any, ...]]:
        # A dataclass made with slots=True lists its fields, in order, as its __slots__.
        return type(self), tuple(getattr(self, name) for name in self.__slots__)
