"""The newsroom's word lists (CommentWord): which a comment's body holds.

Matched on words, never on substrings, so that a list holding `cunt` lets "Scunthorpe" pass
(the Scunthorpe problem) and one holding `ass` lets "class" pass. A word is a run of letters,
digits and underscores (`\\w`, in every script), case-folded and stripped of its accents
(NFKD, then without combining marks), so `CAFÉ`, `Café` and `cafe` are one word. A list
entry of several words matches them in sequence: `buy now` matches "Buy, NOW!".
"""

import re
import unicodedata
from dataclasses import dataclass

from comments.models import CommentWord

WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """`text` case-folded and without accents: how both lists and bodies are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words_of(text: str) -> list[str]:
    """The folded words of `text`, in order."""
    return WORD.findall(fold(text))


def entry_of(text: str) -> str:
    """A list entry as stored: its folded words, one space apart ("" when it has none)."""
    return " ".join(words_of(text))


@dataclass(frozen=True)
class Verdict:
    banned: bool
    suspect: bool


def _holds(words: list[str], entries: set[str], longest: int) -> bool:
    for start in range(len(words)):
        for length in range(1, min(longest, len(words) - start) + 1):
            if " ".join(words[start : start + length]) in entries:
                return True
    return False


def judge(body: str) -> Verdict:
    """Whether `body` holds a banned word, or a suspect one. One query for both lists (a few
    hundred short rows); then each run of up to the longest entry's words is looked up."""
    lists: dict[str, set[str]] = {CommentWord.Kind.BANNED: set(), CommentWord.Kind.SUSPECT: set()}
    for word, kind in CommentWord.objects.values_list("word", "kind"):
        lists[kind].add(word)
    if not lists[CommentWord.Kind.BANNED] and not lists[CommentWord.Kind.SUSPECT]:
        return Verdict(banned=False, suspect=False)
    words = words_of(body)
    longest = max(
        (entry.count(" ") + 1 for entries in lists.values() for entry in entries), default=1
    )
    return Verdict(
        banned=_holds(words, lists[CommentWord.Kind.BANNED], longest),
        suspect=_holds(words, lists[CommentWord.Kind.SUSPECT], longest),
    )
