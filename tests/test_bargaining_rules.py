"""The procedure's rules, tested at their edges (domain guide, section 3)."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services import credit_code
from bot.services.bargaining import (
    Milestones,
    Representative,
    TransitionRefused,
    add_months,
    check_transition,
    congress_vote,
    deadlines,
    representative_problems,
)
from bot.settings import LegalSettings
from storage.models import CaseType, Side, Stage

LEGAL = LegalSettings()


# ----- unified social credit codes -----
@pytest.mark.parametrize("code", ["9144030071526726XG", "91330100799655058B", "91110000802100433B"])
def test_published_credit_codes_validate(code):
    assert credit_code.is_valid(code)


@pytest.mark.parametrize(
    "code",
    [
        "9144030071526726XH",  # wrong final check character
        "9144030071526726X",  # 17 characters
        "9144030071526726XGG",
        "9I44030071526726XG",  # I is not in the alphabet
        "91440300715267260G",  # wrong organisation check
        "91AB030071526726XG",  # division must be digits
        "",
    ],
)
def test_bad_credit_codes_are_refused(code):
    assert not credit_code.is_valid(code)


def test_credit_codes_are_normalised():
    assert credit_code.normalise(" 9144 0300-7152 6726xg ") == "9144030071526726XG"


@given(st.text(alphabet=credit_code.ALPHABET, min_size=8, max_size=8))
def test_any_org_code_with_both_checks_is_valid(body):
    org = "7152672" + body[0] if body[0].isdigit() else "71526726"
    org_check = credit_code.organisation_check(org)
    first17 = "914403" + "00" + org + org_check
    assert credit_code.is_valid(first17 + credit_code.check_character(first17))


# ----- stages -----
def test_legal_path_to_renewal():
    path = [
        Stage.preparing,
        Stage.offer_sent,
        Stage.reply_received,
        Stage.negotiating,
        Stage.suspended,
        Stage.negotiating,
        Stage.draft,
        Stage.signed,
        Stage.filed,
        Stage.in_force,
        Stage.performing,
        Stage.expiring,
        Stage.renewed,
    ]
    for current, target in itertools.pairwise(path):
        check_transition(current, target, date(2026, 1, 1), None, congress_passed=True)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Stage.preparing, Stage.negotiating),
        (Stage.offer_sent, Stage.signed),
        (Stage.signed, Stage.terminated),
        (Stage.renewed, Stage.negotiating),
        (Stage.terminated, Stage.preparing),
    ],
)
def test_illegal_transitions_are_refused_with_a_reason(current, target):
    with pytest.raises(TransitionRefused) as info:
        check_transition(current, target, date(2026, 1, 1), None, congress_passed=True)
    assert info.value.reason == "cases.illegal_transition"


def test_no_signing_before_the_congress_passes():
    with pytest.raises(TransitionRefused, match="congress_first"):
        check_transition(Stage.draft, Stage.signed, date(2026, 1, 1), None, congress_passed=False)


def test_dates_cannot_go_backwards():
    with pytest.raises(TransitionRefused, match="date_before_previous"):
        check_transition(
            Stage.offer_sent, Stage.reply_received, date(2026, 1, 1), date(2026, 1, 2), True
        )
    check_transition(
        Stage.offer_sent, Stage.reply_received, date(2026, 1, 2), date(2026, 1, 2), True
    )


# ----- deadlines -----
def test_deadlines_of_a_comprehensive_contract():
    d = deadlines(
        CaseType.comprehensive,
        Milestones(
            offer=date(2026, 11, 24),
            first_round=date(2026, 12, 20),
            signed=date(2027, 1, 31),
            filed=date(2027, 2, 5),
            term_years=3,
        ),
        LEGAL,
    )
    assert d.reply_due == date(2026, 12, 14)  # offer + 20 days
    assert d.data_due == date(2026, 12, 15)  # 5 days before the first round
    assert d.filing_due == date(2027, 2, 10)  # signing + 10 days
    assert d.review_ends == date(2027, 2, 20)  # filing + 15 days
    assert d.effective == date(2027, 2, 21)
    assert d.expiry == date(2030, 2, 20)
    assert d.renewal_opens == date(2029, 11, 20)  # 3 months before expiry


def test_wage_contracts_file_in_7_days_and_renew_in_60():
    d = deadlines(
        CaseType.wage,
        Milestones(signed=date(2026, 3, 1), filed=date(2026, 3, 2), term_years=1),
        LEGAL,
    )
    assert d.filing_due == date(2026, 3, 8)
    assert d.effective == date(2026, 3, 18)
    assert d.expiry == date(2027, 3, 17)
    assert d.renewal_opens == date(2027, 1, 16)


def test_deadlines_follow_the_settings():
    local = LegalSettings(reply_days=15, filing_days=5)
    d = deadlines(
        CaseType.comprehensive, Milestones(offer=date(2026, 1, 1), signed=date(2026, 2, 1)), local
    )
    assert d.reply_due == date(2026, 1, 16)
    assert d.filing_due == date(2026, 2, 6)


def test_upcoming_skips_past_deadlines():
    d = deadlines(
        CaseType.comprehensive,
        Milestones(offer=date(2026, 11, 1), first_round=date(2026, 12, 10)),
        LEGAL,
    )
    assert d.upcoming(date(2026, 11, 22), Stage.reply_received) == [("data_due", date(2026, 12, 5))]
    assert d.upcoming(date(2026, 11, 21), Stage.offer_sent) == [
        ("reply_due", date(2026, 11, 21)),
        ("data_due", date(2026, 12, 5)),
    ]


def test_a_deadline_whose_event_happened_is_no_longer_shown():
    d = deadlines(
        CaseType.wage,
        Milestones(
            offer=date(2026, 11, 1),
            first_round=date(2026, 12, 10),
            signed=date(2026, 12, 20),
            filed=date(2026, 12, 22),
            term_years=1,
        ),
        LEGAL,
    )
    today = date(2026, 11, 5)
    assert next(n for n, _ in d.upcoming(today, Stage.offer_sent)) == "reply_due"
    for later in (Stage.reply_received, Stage.negotiating, Stage.signed, Stage.in_force):
        assert "reply_due" not in [n for n, _ in d.upcoming(today, later)], later
    assert [n for n, _ in d.upcoming(today, Stage.signed)] == ["filing_due"]
    assert [n for n, _ in d.upcoming(today, Stage.filed)] == ["review_ends"]
    assert [n for n, _ in d.upcoming(today, Stage.in_force)] == [
        "publication_due",
        "renewal_opens",
        "expiry",
    ]


def test_in_force_only_once_the_review_is_over():
    effective = date(2026, 12, 16)
    with pytest.raises(TransitionRefused) as refused:
        check_transition(
            Stage.filed, Stage.in_force, date(2026, 11, 30), date(2026, 11, 30), True, effective
        )
    assert refused.value.reason == "cases.not_yet_in_force"
    check_transition(Stage.filed, Stage.in_force, effective, date(2026, 11, 30), True, effective)


def test_month_arithmetic_clamps_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


# ----- representatives -----
def _side(
    side: Side, n: int, experts: int = 0, woman: bool = True, prefix: str = ""
) -> list[Representative]:
    reps = [Representative(f"{prefix}{side.value}{i}", side, chief=i == 0) for i in range(n)]
    for i in range(1, experts + 1):
        reps[i] = Representative(reps[i].name, side, expert=True)
    if woman:
        reps[-1] = Representative(
            reps[-1].name, side, chief=reps[-1].chief, expert=reps[-1].expert, woman=True
        )
    return reps


def _keys(problems: list[tuple[str, dict[str, object]]]) -> list[str]:
    return [key for key, _ in problems]


def test_a_lawful_line_up_has_no_problems():
    reps = _side(Side.workers, 3) + _side(Side.employer, 3)
    assert representative_problems(reps, headcount=100, women=40, legal=LEGAL) == []


def test_line_up_rules():
    assert "cases.too_few_reps" in _keys(
        representative_problems(_side(Side.workers, 2) + _side(Side.employer, 2), 100, 0, LEGAL)
    )
    assert "cases.unequal_sides" in _keys(
        representative_problems(_side(Side.workers, 4) + _side(Side.employer, 3), 100, 0, LEGAL)
    )
    # One expert in three is a third: allowed; two in three is not.
    assert (
        representative_problems(
            _side(Side.workers, 3, experts=1) + _side(Side.employer, 3), 100, 0, LEGAL
        )
        == []
    )
    assert "cases.too_many_experts" in _keys(
        representative_problems(
            _side(Side.workers, 3, experts=2) + _side(Side.employer, 3), 100, 0, LEGAL
        )
    )
    expert_chief = [
        Representative("专家", Side.workers, chief=True, expert=True),
        *_side(Side.workers, 3)[1:],
    ]
    problems = _keys(representative_problems(expert_chief + _side(Side.employer, 3), 100, 0, LEGAL))
    assert "cases.expert_chief" in problems
    both = [
        *_side(Side.workers, 3),
        Representative("workers1", Side.employer, chief=True),
        *_side(Side.employer, 3)[1:],
    ]
    assert "cases.on_both_sides" in _keys(representative_problems(both, 100, 0, LEGAL))


def test_woman_representative_rule_at_its_threshold():
    men = _side(Side.workers, 3, woman=False) + _side(Side.employer, 3)
    assert "cases.woman_rep_needed" in _keys(
        representative_problems(men, 100, 20, LEGAL)
    )  # exactly 1/5
    assert representative_problems(men, 100, 19, LEGAL) == []


# ----- workers' congress -----
@pytest.mark.parametrize(
    ("total", "present", "yes", "quorum", "passed"),
    [
        (30, 20, 16, True, True),  # 2/3 exactly present; 16 > 15
        (30, 19, 19, False, False),  # below quorum
        (30, 20, 15, True, False),  # half of all is not more than half
        (30, 30, 16, True, True),
        (10, 7, 6, True, True),
        (10, 6, 6, False, False),
        (9, 6, 5, True, True),  # 5 > 4.5
    ],
)
def test_congress_vote(total, present, yes, quorum, passed):
    result = congress_vote(total, present, yes, LEGAL)
    assert (result.quorum, result.passed) == (quorum, passed)


def test_congress_vote_rejects_impossible_counts():
    for total, present, yes in ((0, 0, 0), (10, 11, 1), (10, 5, 6), (10, -1, 0)):
        with pytest.raises(ValueError, match="need"):
            congress_vote(total, present, yes, LEGAL)


def test_every_legal_setting_is_used_somewhere():
    """A legal number declared and never read is a promise the bot does not keep."""
    import pathlib

    source = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("bot", "handlers")
        for path in pathlib.Path(folder).rglob("*.py")
        if path.name != "settings.py"
    )
    unused = [name for name in LegalSettings.model_fields if f".{name}" not in source]
    assert unused == []


def test_a_suspension_and_publication_have_their_deadlines():
    local = LegalSettings()
    paused = deadlines(CaseType.comprehensive, Milestones(suspended=date(2026, 11, 1)), local)
    assert paused.resume_due == date(2026, 12, 31)  # 60 days
    assert paused.upcoming(date(2026, 11, 2), Stage.suspended) == [
        ("resume_due", date(2026, 12, 31))
    ]
    filed = deadlines(
        CaseType.comprehensive, Milestones(filed=date(2026, 11, 1), term_years=2), local
    )
    assert filed.publication_due == date(2026, 11, 27)  # effective 11-17, then 10 days
    assert ("publication_due", date(2026, 11, 27)) in filed.upcoming(
        date(2026, 11, 20), Stage.in_force
    )
