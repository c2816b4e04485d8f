"""The signed contract archived with the case, and the contract a draft is compared with:
a case's documents beyond the ones the bot drafts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services import cases, filing
from bot.services.documents import CONTRACTS, safe_file_name, stored
from bot.services.errors import AccessDenied, Problem
from storage.models import CaseDocument, User
from storage.uow import UnitOfWork

SCAN_TYPES = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}


async def archive_signed(
    uow: UnitOfWork,
    user: User,
    case_id: int,
    file_name: str,
    content: bytes,
    now: datetime,
) -> CaseDocument:
    """The signed and sealed contract, scanned (PDF) or photographed, kept with the case as
    the next version of kind "signed"."""
    case = await cases.editable(uow, user, case_id)
    if case.stage not in filing.SIGNED_STAGES:
        raise Problem("documents.not_signed_yet")
    suffix = "." + file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if suffix not in SCAN_TYPES:
        raise Problem("documents.scan_type")
    enterprises = await uow.cases.enterprises_of(case_id)
    day = now.date().isoformat()
    version = await uow.documents.next_version(case_id, filing.SIGNED)
    name = safe_file_name("签字文本", enterprises[0].name[:20], day, f"v{version}") + suffix
    return await uow.documents.add(
        CaseDocument(
            case_id=case_id,
            kind=filing.SIGNED,
            version=version,
            file_name=name,
            data={"original": file_name[:100]},
            content=content,
            created_by_id=user.id or 0,
            created_at=now,
        )
    )


@dataclass(frozen=True)
class Comparison:
    """A contract and the one to compare it with: the same enterprise's latest contract of
    the same kind on another case the user may see (a final text before a draft)."""

    current: CaseDocument
    previous: CaseDocument | None
    previous_year: int | None


async def earlier_contract(uow: UnitOfWork, user: User, document_id: int) -> Comparison:
    current = await stored(uow, user, document_id)
    if current.kind not in CONTRACTS:
        raise Problem("contracts.redline_only_contracts")
    enterprises = [e.id or 0 for e in await uow.cases.enterprises_of(current.case_id)]
    candidates = await uow.documents.earlier_contracts(enterprises, current.kind, current.case_id)
    ordered = sorted(candidates, key=lambda d: d.data.get("edition") != "final")  # stable
    for candidate in ordered:
        try:
            case, _ = await cases.load(uow, user, candidate.case_id)
        except AccessDenied:
            continue
        previous = await uow.documents.with_file(candidate.id or 0)
        return Comparison(current, previous, case.year)
    return Comparison(current, None, None)
