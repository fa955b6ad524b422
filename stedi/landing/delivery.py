"""What a delivery holds: the landing files ingest takes, and everything it does not, with why.

A delivery is a local folder or an S3 prefix, in the starter layout (`customer/landing/*.json`)
or the flat one (`customer/*.json`): the layout is the starter one where `<source>/landing` is
a folder. Ingest takes the `.json` files directly in a source's folder, and `.json.gz` files,
which land decompressed as `.json`. Whatever else the delivery holds is named, by kind: other
files and folders at its top, beside a landing folder, other extensions, subfolders (nested S3
keys), pipes and devices, symlinks it does not follow.

Symlinks (a local delivery): the delivery's folder itself is followed (the user named it).
Inside it, a symlink that points out of it is never followed, to a file or to a folder (a link
to another lake's stedi.toml would put that lake's key into the quarantine table); one that
points inside it is part of the delivery, and its bytes land as a plain file under the link's
name, as a delivery tool that links its exports into place means them. A link to a file taken
anyway (`latest.json` -> `customer-7.json`) would only land the same lines twice: taken once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stedi.errors import InputError
from stedi.landing.sources import SOURCES
from stedi.storage import FileEntry, Storage
from stedi.storage.entries import LINK_OUT, LINK_TO_NOTHING, NOT_REGULAR, Other

NOT_A_SOURCE = f"outside the folders {', '.join(SOURCES)}"
BESIDE_LANDING = "beside a source's landing folder"
NOT_JSON = "not .json or .json.gz"
SUBFOLDER = "a subfolder: ingest takes the files directly in a source's folder"
SECOND_NAME = "a second name of a file taken, by symlink"
# The order in which the kinds are told.
KINDS = (NOT_A_SOURCE, BESIDE_LANDING, NOT_JSON, SUBFOLDER, NOT_REGULAR, LINK_TO_NOTHING, LINK_OUT, SECOND_NAME)
SHOWN = 5  # names a line shows of one kind; the rest are counted


@dataclass(frozen=True)
class Delivered:
    entry: FileEntry  # in the delivery
    landing_name: str  # its name in landing: x.json for x.json.gz too

    @property
    def gzipped(self) -> bool:
        return self.entry.name.endswith(".gz")


@dataclass
class Delivery:
    files: dict[str, list[Delivered]] = field(default_factory=dict)  # per source
    not_taken: list[Other] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def find_delivery(src: Storage) -> Delivery:
    """What a delivery (a folder or prefix) holds: its landing files per source, and the rest."""
    if not src.exists(""):
        src.check()
        raise InputError(f"{src.root}: no such folder")
    if src.is_file(""):
        raise InputError(f"{src.root}: not a folder (expected customer/landing/*.json and the like inside)")
    delivery = Delivery()
    top = src.listing("")
    delivery.not_taken += top.others
    delivery.not_taken += [Other(f.relative, NOT_A_SOURCE) for f in top.files]
    delivery.not_taken += [Other(f, NOT_A_SOURCE) for f in top.folders if f not in SOURCES]
    for name in (s for s in SOURCES if s in top.folders):
        outer = src.listing(name)
        folder = outer
        if f"{name}/landing" in outer.folders:
            folder = src.listing(f"{name}/landing")
            delivery.not_taken += outer.others
            delivery.not_taken += [Other(f, BESIDE_LANDING) for f in outer.folders if f != f"{name}/landing"]
            delivery.not_taken += [Other(f.relative, BESIDE_LANDING) for f in outer.files]
        delivery.not_taken += folder.others + [Other(f, SUBFOLDER) for f in folder.folders]
        taken = _landing_files(src, folder.files, delivery)
        if taken:
            delivery.files[name] = taken
    _take_once(delivery)
    if not delivery.files and not delivery.conflicts:
        layouts = ", ".join(f"{n}/landing/*.json" for n in SOURCES)
        raise InputError(f"{src.root}: no landing files found (expected {layouts}, or {'/*.json, '.join(SOURCES)}"
                         f"/*.json){_first_not_taken(delivery.not_taken)}")
    return delivery


def _landing_files(src: Storage, files: list[FileEntry], delivery: Delivery) -> list[Delivered]:
    """The .json and .json.gz files of one folder; a file delivered both ways is a conflict."""
    names = {f.name for f in files}
    taken = []
    for entry in files:
        if entry.name.endswith(".json.gz"):
            landing_name = entry.name.removesuffix(".gz")
            if landing_name in names:
                plain = entry.relative.removesuffix(".gz")
                source = plain.split("/", 1)[0]
                delivery.conflicts.append(f"{src.path(plain)} and {entry.name}: both would land as "
                                          f"{source}/landing/{landing_name}; deliver one of them")
                continue
        elif entry.name.endswith(".json"):
            if entry.name + ".gz" in names:
                continue  # the conflict is told once, with the .gz
            landing_name = entry.name
        else:
            delivery.not_taken.append(Other(entry.relative, NOT_JSON))
            continue
        taken.append(Delivered(entry, landing_name))
    return taken


def _take_once(delivery: Delivery) -> None:
    """A file reached under several names (symlinks inside the delivery) is taken once: under its
    own name where that is taken, else under the first link's."""
    by_file: dict[str, list[Delivered]] = {}
    for files in delivery.files.values():
        for item in files:
            by_file.setdefault(item.entry.link_to or item.entry.relative, []).append(item)
    for real, names in by_file.items():
        if len(names) == 1:
            continue
        keep = next((d for d in names if d.entry.link_to is None), names[0])
        for item in names:
            if item is not keep:
                delivery.not_taken.append(Other(item.entry.relative, SECOND_NAME, keep.entry.relative))
                source = item.entry.relative.split("/", 1)[0]
                delivery.files[source].remove(item)
    for source in [s for s, files in delivery.files.items() if not files]:
        del delivery.files[source]


def not_taken_lines(not_taken: list[Other]) -> list[str]:
    """One line per kind of what a delivery held and ingest did not take: why, then the first
    names (a symlink's with where it points)."""
    lines = []
    for kind in KINDS:
        items = sorted((o for o in not_taken if o.why == kind), key=lambda o: o.relative)
        if not items:
            continue
        shown = [f"{o.relative} -> {o.target}" if o.target else o.relative for o in items[:SHOWN]]
        more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
        lines.append(f"not taken ({kind}): {', '.join(shown)}{more}")
    return lines


def _first_not_taken(not_taken: list[Other]) -> str:
    lines = not_taken_lines(not_taken)
    return f"; {lines[0]}" if lines else ""
