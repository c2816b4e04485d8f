"""Routers, one per flow. `get_routers()` fixes their order; the catch-all comes last."""

from __future__ import annotations

from aiogram import Router


def get_routers() -> list[Router]:
    from handlers import (
        answers,
        approvals,
        assessment,
        assignments,
        broadcasts,
        cases,
        common,
        congress,
        documents,
        enterprises,
        errors,
        expenses,
        fallback,
        invites,
        onboarding,
        profile,
        reminders,
        reports,
        representatives,
        research,
        roster,
        rounds,
        stages,
        supervision,
        surveys,
        topics,
        trainings,
    )

    order = (
        errors,
        answers,
        congress,
        onboarding,
        common,
        profile,
        enterprises,
        cases,
        stages,
        topics,
        rounds,
        representatives,
        research,
        surveys,
        documents,
        supervision,
        reminders,
        trainings,
        reports,
        broadcasts,
        assignments,
        roster,
        expenses,
        assessment,
        invites,
        approvals,
        fallback,
    )
    return [module.router.build() for module in order]
