"""The filing package's completeness (报送材料): the materials the labour administration
reviews, each ready or missing, named. Pure: it reads what the records already hold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.services.bargaining import IN_FORCE_STAGES
from bot.services.contracts import kind_of_case
from bot.settings import LegalSettings
from storage.models import (
    BargainingCase,
    CaseDocument,
    CaseRepresentative,
    NegotiationRound,
    Side,
    Stage,
)

SIGNED = "signed"  # the kind of an archived scan of the signed contract
# From signing on, the signed contract's scan can be archived with the case.
SIGNED_STAGES = frozenset({Stage.signed, Stage.filed, *IN_FORCE_STAGES, Stage.renewed})


@dataclass(frozen=True)
class Material:
    key: str  # contract, process_note, congress, representatives, minutes, signed, licences
    copies: int
    ready: bool | None  # None: the bot cannot know (papers the enterprise brings)
    params: dict[str, Any] = field(default_factory=dict)


def materials(
    case: BargainingCase,
    versions: Sequence[CaseDocument],
    representatives: Sequence[CaseRepresentative],
    rounds: Sequence[NegotiationRound],
    legal: LegalSettings,
    process_note: bool,
) -> list[Material]:
    kind = kind_of_case(case.case_type)
    contracts = [d for d in versions if d.kind == kind]
    final = [d for d in contracts if (d.data or {}).get("edition") == "final"]
    sides = {side: [r for r in representatives if r.side is side] for side in Side}
    reps_ready = all(
        len(people) >= legal.min_reps_per_side and any(r.chief for r in people)
        for people in sides.values()
    )
    congress = case.congress_total is not None and case.congress_passed
    return [
        Material(
            "contract",
            3,
            bool(final),
            {"version": max(d.version for d in final) if final else 0, "drafts": len(contracts)},
        ),
        Material("process_note", 1, process_note),
        Material(
            "congress",
            1,
            congress,
            {
                "total": case.congress_total,
                "present": case.congress_present,
                "yes": case.congress_yes,
            },
        ),
        Material(
            "representatives",
            1,
            reps_ready,
            {"workers": len(sides[Side.workers]), "employer": len(sides[Side.employer])},
        ),
        Material("minutes", 1, bool(rounds), {"rounds": len(rounds)}),
        Material(SIGNED, 1, any(d.kind == SIGNED for d in versions)),
        Material("licences", 1, None),
    ]


def missing(found: Sequence[Material]) -> list[str]:
    return [m.key for m in found if m.ready is False]
