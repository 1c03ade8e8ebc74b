"""schema/intended-breaks.txt: the breaks a change makes on purpose, each with its reason."""

from dataclasses import dataclass
from pathlib import Path

from schemacheck.compare import Break

SEPARATOR = " -- "


@dataclass(frozen=True)
class Intended:
    line_number: int
    text: str  # the break as the checker prints it: "<location>: <change>"
    reason: str


def read_intended(path: Path) -> list[Intended]:
    """The file's entries; a line without its reason is an error, so that none is silent."""
    if not path.exists():
        return []
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        text, separator, reason = line.partition(SEPARATOR)
        if not separator or not reason.strip():
            raise ValueError(f"{path.name}:{number}: no reason after '{SEPARATOR.strip()}'")
        entries.append(Intended(number, text.strip(), reason.strip()))
    return entries


def is_marked(found: Break, intended: list[Intended]) -> bool:
    return any(entry.text == str(found) for entry in intended)
