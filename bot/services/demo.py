"""Demo data for the playground: a city union with a county union under it, one liaison and
two instructors with profiles, and the personas that play them in the web chat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.services import orgs
from storage.models import HiringRoute, InstructorProfile, OrgLevel, ProfileStatus, Role, User
from storage.uow import UnitOfWork

CITY = "武汉市总工会"
COUNTY = "洪山区总工会"


@dataclass(frozen=True)
class Persona:
    telegram_id: int
    name: str
    language: str
    note: str


PERSONAS = (
    Persona(1001, "王芳", "zh", "liaison of 武汉市总工会"),
    Persona(1101, "李明", "zh", "instructor of 洪山区总工会"),
    Persona(1102, "Zhang Hua", "en", "instructor of 洪山区总工会 (English)"),
    Persona(1201, "职工小陈", "zh", "worker"),
    Persona(1301, "新来的指导员", "zh", "not yet invited: ask 王芳 for an invite"),
)


async def seed(uow: UnitOfWork, now: datetime) -> bool:
    """Create the demo records on an empty database; False if there was data already."""
    if await uow.orgs.count() > 0:
        return False
    city = await orgs.add_org(uow, CITY, OrgLevel.city, None, now)
    county = await orgs.add_org(uow, COUNTY, OrgLevel.county, CITY, now)
    assert city.id is not None
    assert county.id is not None
    await uow.users.add(
        User(
            telegram_id=1001, role=Role.liaison, org_id=city.id, display_name="王芳", created_at=now
        )
    )
    instructors = (
        (1101, "李明", "zh", "13812345678", date(1968, 5, 20), "洪山区电子信息行业"),
        (1102, "Zhang Hua", "en", "13987654321", date(1975, 9, 1), "Optics Valley zone"),
    )
    for telegram_id, name, locale, phone, birth, area in instructors:
        user = await uow.users.add(
            User(
                telegram_id=telegram_id,
                role=Role.instructor,
                org_id=county.id,
                display_name=name,
                locale=locale,
                created_at=now,
            )
        )
        await uow.profiles.save(
            InstructorProfile(
                user_id=user.id or 0,
                name=name,
                phone=phone,
                birth_date=birth,
                hiring_route=HiringRoute.direct,
                certificate_no=f"WH-{telegram_id}",
                area=area,
                status=ProfileStatus.active,
                created_at=now,
                updated_at=now,
            )
        )
    return True
