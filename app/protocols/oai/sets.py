"""OAI-PMH sets: families of sets under a parent set, each family one way to split the catalogue.

A setSpec is "<family>" (the whole family) or "<family>:<value>". Today there is one family,
`type` (kind of material, from leader/06-07). Another family (say `library:<code>` for the
contributing institution) is one more SetFamily in SETS and one more field in SetFilter.
"""

from dataclasses import dataclass
from typing import Protocol

from app import marc
from app.services.harvest import HarvestedRecord

SEPARATOR = ":"

_MATERIAL_SET_NAMES = {
    "book": "Books and other language material",
    "serial": "Serials",
    "music": "Music: scores and music recordings",
    "audio": "Sound recordings other than music",
    "map": "Maps and other cartographic material",
    "video": "Films, videos and other projected media",
    "image": "Pictures and other two-dimensional images",
    "computer": "Computer files and electronic resources",
    "kit": "Kits",
    "mixed": "Mixed materials",
    "object": "Three-dimensional objects",
    "authority": "Authority records",
    "classification": "Classification records",
    "community": "Community information records",
    "holdings": "Holdings records",
    "other": "Other records",
}


@dataclass(frozen=True, slots=True)
class OaiSet:
    """One set as ListSets shows it."""

    spec: str
    name: str


@dataclass(frozen=True, slots=True)
class SetFilter:
    """What a set selects: each field narrows the harvest when not None."""

    material: str | None = None


class SetFamily(Protocol):
    """One way of splitting the catalogue into sets, under a parent set named `prefix`."""

    @property
    def prefix(self) -> str: ...

    def sets(self) -> tuple[OaiSet, ...]:
        """The parent set first, then its members."""
        ...

    def select(self, value: str | None) -> SetFilter | None:
        """The filter of the parent set (value None) or of one member; None if there is none."""
        ...

    def specs_of(self, item: HarvestedRecord) -> tuple[str, ...]:
        """The member sets a record belongs to (the parent set is implied)."""
        ...


class MaterialSets:
    """type, type:book, type:serial, …: records by kind of material (app.marc.material)."""

    prefix = "type"

    def sets(self) -> tuple[OaiSet, ...]:
        members = tuple(
            OaiSet(
                spec=f"{self.prefix}{SEPARATOR}{name}",
                name=_MATERIAL_SET_NAMES.get(name, name.capitalize()),
            )
            for name in marc.MATERIAL_NAMES
        )
        return (OaiSet(spec=self.prefix, name="Records by type of material"), *members)

    def select(self, value: str | None) -> SetFilter | None:
        if value is None:
            return SetFilter()
        return SetFilter(material=value) if value in marc.MATERIAL_NAMES else None

    def specs_of(self, item: HarvestedRecord) -> tuple[str, ...]:
        return (f"{self.prefix}{SEPARATOR}{item.material}",)


@dataclass(frozen=True, slots=True)
class SetHierarchy:
    """All the set families a repository offers; none means it has no set hierarchy."""

    families: tuple[SetFamily, ...]

    @property
    def supported(self) -> bool:
        return bool(self.families)

    def sets(self) -> tuple[OaiSet, ...]:
        """Every set, family by family."""
        return tuple(s for family in self.families for s in family.sets())

    def select(self, spec: str) -> SetFilter | None:
        """The filter of a setSpec, or None when no set has that spec."""
        prefix, _, value = spec.partition(SEPARATOR)
        for family in self.families:
            if family.prefix == prefix:
                return family.select(value if SEPARATOR in spec else None)
        return None

    def specs_of(self, item: HarvestedRecord) -> tuple[str, ...]:
        """The setSpecs a record's header lists."""
        return tuple(spec for family in self.families for spec in family.specs_of(item))


SETS = SetHierarchy(families=(MaterialSets(),))
