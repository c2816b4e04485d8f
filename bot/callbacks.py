"""Typed callback data. Short prefixes keep every packed value far below Telegram's 64 bytes."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from bot.services.supervision import Area, Result
from bot.services.survey_answers import Press
from bot.services.topics import Side, Source


class Menu(StrEnum):
    home = "home"
    cases = "cases"
    ent_find = "ent_find"
    ent_new = "ent_new"
    assessment = "assessment"
    assignments = "assignments"
    broadcast = "broadcast"
    expenses = "expenses"
    guideline = "guideline"
    help = "help"
    invite = "invite"
    invites = "invites"
    lang = "lang"
    my_reports = "my_reports"
    pending = "pending"
    profile = "profile"
    reminders = "reminders"
    roster = "roster"
    trainings = "trainings"


class ProfileAct(StrEnum):
    edit_saved = "edit_saved"


class SurveyAct(StrEnum):
    card = ""
    preview = "preview"
    publish = "publish"
    close = "close"
    discard = "discard"
    share = "share"
    poster = "poster"
    results = "results"
    export = "export"


class RemindAct(StrEnum):
    list = ""
    new = "new"
    done = "done"
    hour = "hour"
    tomorrow = "tomorrow"
    cancel = "cancel"
    when = "when"


class TrainingAct(StrEnum):
    card = ""
    attend = "attend"
    cannot = "cannot"
    checkin = "checkin"
    new = "new"
    hours = "hours"
    list = "list"
    mark = "mark"
    pick = "pick"
    send = "send"


class CheckAct(StrEnum):
    card = ""
    finish = "finish"
    report = "report"


class BroadcastAct(StrEnum):
    new = "new"
    show = "show"
    approve = "approve"


class AssignAct(StrEnum):
    list = ""
    new = "new"
    accept = "accept"
    decline = "decline"
    done = "done"
    pick = "pick"
    send = "send"
    export = "export"


class RosterAct(StrEnum):
    list = ""
    page = "page"
    person = "person"
    off = "off"
    on = "on"
    file = "file"
    quotas = "quotas"
    export = "export"


class ExpenseAct(StrEnum):
    list = ""
    new = "new"
    review = "review"
    show = "show"
    approve = "approve"
    return_ = "return"
    export = "export"


class AssessAct(StrEnum):
    page = "page"  # a page of the ranking
    score = "score"
    summary = "summary"
    export = "export"


class MenuCB(CallbackData, prefix="m"):
    action: Menu


class LangCB(CallbackData, prefix="lg"):
    code: str


class InviteRoleCB(CallbackData, prefix="ir"):
    role: str


class InviteOrgCB(CallbackData, prefix="io"):
    role: str
    org_id: int


class InvitePageCB(CallbackData, prefix="ip"):
    role: str
    page: int


class InviteRevokeCB(CallbackData, prefix="iv"):
    invite_id: int


class ProfileCB(CallbackData, prefix="pf"):
    action: ProfileAct
    value: str = ""


class ApprovalCB(CallbackData, prefix="ap"):
    profile_id: int


class EnterpriseCB(CallbackData, prefix="e"):
    enterprise_id: int


class NewCaseCB(CallbackData, prefix="nc"):
    enterprise_id: int
    case_type: str = ""
    year: int = 0


class CaseCB(CallbackData, prefix="c"):
    case_id: int


class CasePageCB(CallbackData, prefix="cp"):
    """Turn the case card's page in place: ⋯ 更多, or back to its main page."""

    case_id: int
    more: bool = False


class MoveCB(CallbackData, prefix="mv"):
    case_id: int
    stage: str
    when: str = ""  # "", "today", "yesterday"


class CongressAct(StrEnum):
    menu = ""  # online or paper, or the open sitting's panel
    paper = "paper"  # enter a paper count
    convene = "convene"  # hold it online: the form
    panel = "panel"
    slips = "slips"  # the seats' links and QR codes, as a Word file
    links = "links"  # the seats' links as text, to send each privately
    vote = "vote"  # open the vote (quorum present)
    close = "close"  # ask to count
    tally = "tally"  # count, confirmed
    cancel = "cancel"  # ask to call it off
    drop = "drop"  # call it off, confirmed


class CongressCB(CallbackData, prefix="cg"):
    """The instructor's congress screens; `congress_id` 0 on the case's menu."""

    case_id: int
    act: CongressAct = CongressAct.menu
    congress_id: int = 0


class BallotAct(StrEnum):
    show = ""  # the seat: the ballot once the vote is open, else where things stand
    pick = "pick"  # a choice, to confirm
    cast = "cast"  # the choice, confirmed
    draft = "draft"  # the draft before the congress, as a file


class BallotCB(CallbackData, prefix="bl"):
    """A representative's seat of an online congress (found by who presses, not by id)."""

    congress_id: int
    act: BallotAct = BallotAct.show
    choice: str = ""


class PublishCB(CallbackData, prefix="pb"):
    """Record the publication (公示) of a contract in force."""

    case_id: int


class ReportCB(CallbackData, prefix="rp"):
    case_id: int = 0  # 0: not about a particular case


class ReportAckCB(CallbackData, prefix="ra"):
    report_id: int


class ReportThreadCB(CallbackData, prefix="rt"):
    """A report's thread; `say`: ask for a message in it."""

    report_id: int
    say: bool = False


class TopicsCB(CallbackData, prefix="tp"):
    case_id: int
    add: str = ""  # "", "menu", a section key of the case's contract, or "custom"


class PackageCB(CallbackData, prefix="tk"):
    """Record several topics passed across the table as one package."""

    case_id: int


class TopicCB(CallbackData, prefix="to"):
    topic_id: int
    status: str = ""  # "": the topic's card; a TopicStatus: move it there


class ClauseAct(StrEnum):
    models = "m"  # the library's variants for the topic
    model = "v"  # start our text from variant `value`
    agree = "a"  # which text the parties agreed on
    agreed = "g"  # freeze the text `source` names
    sign = "s"  # 初步一致: ask for the chiefs' sign-off
    signed = "k"  # both chiefs signed it off


class ClauseCB(CallbackData, prefix="tc"):
    topic_id: int
    act: ClauseAct
    value: str = ""  # a variant key
    source: Source | None = None


class LedgerCB(CallbackData, prefix="tg"):
    """The case's bargaining ledger as a workbook."""

    case_id: int


class EditCB(CallbackData, prefix="te"):
    topic_id: int
    side: Side


class RoundsCB(CallbackData, prefix="rl"):
    case_id: int
    new: bool = False


class RoundCB(CallbackData, prefix="ro"):
    round_id: int
    correct: bool = False


class RepsCB(CallbackData, prefix="rv"):
    case_id: int
    add: str = ""  # "", "workers", "employer"


class RepRemoveCB(CallbackData, prefix="rx"):
    representative_id: int
    sure: bool = False  # False: ask first


class FinanceCB(CallbackData, prefix="fi"):
    enterprise_id: int
    enter: bool = False


class AdviceCB(CallbackData, prefix="ad"):
    case_id: int


class CostingCB(CallbackData, prefix="co"):
    """Cost a package of proposals on the case."""

    case_id: int


class TimelineCB(CallbackData, prefix="tl"):
    case_id: int


class CaseListCB(CallbackData, prefix="cl"):
    page: int


class CaseEnterpriseCB(CallbackData, prefix="ce"):
    case_id: int
    enterprise_id: int = 0  # 0: ask which


class ShareCB(CallbackData, prefix="sh"):
    case_id: int
    user_id: int = 0  # 0: show the sharing screen


class SurveysCB(CallbackData, prefix="sl"):
    case_id: int


class SurveyCB(CallbackData, prefix="sv"):
    survey_id: int
    action: SurveyAct = SurveyAct.card


class NewSurveyCB(CallbackData, prefix="sd"):
    case_id: int


class SurveyGoCB(CallbackData, prefix="sg"):
    """Opening a survey from its link's token (never from its id: ids can be guessed)."""

    token: str
    start: bool = False


class AnswerCB(CallbackData, prefix="sa"):
    survey_id: int
    press: Press  # which button of the worker's page (bot/services/survey_answers.py)
    value: str = ""


class DocsCB(CallbackData, prefix="dl"):
    case_id: int


class DocNewCB(CallbackData, prefix="dn"):
    case_id: int
    kind: str


class DocFileCB(CallbackData, prefix="df"):
    document_id: int
    pdf: bool = False


class ArchiveCB(CallbackData, prefix="da"):
    """Archive the signed contract's scan with the case."""

    case_id: int


class RedlineCB(CallbackData, prefix="dr"):
    document_id: int
    upload: bool = False  # against a .docx the instructor sends instead


class RemindCB(CallbackData, prefix="rm"):
    reminder_id: int = 0
    action: RemindAct = RemindAct.list


class TrainingCB(CallbackData, prefix="tr"):
    training_id: int = 0
    action: TrainingAct = TrainingAct.card
    user_id: int = 0  # the organiser marking someone present


class ChecksCB(CallbackData, prefix="ck"):
    case_id: int
    new: bool = False


class CheckCB(CallbackData, prefix="cc"):
    check_id: int
    area: Area | None = None  # None: the check's card
    result: Result | None = None  # None: ask for the area's result
    action: CheckAct = CheckAct.card


class FixCB(CallbackData, prefix="fx"):
    rectification_id: int


class BroadcastCB(CallbackData, prefix="bc"):
    action: BroadcastAct
    value: int = 0  # the broadcast shown or approved


class AssignCB(CallbackData, prefix="as"):
    assignment_id: int = 0
    action: AssignAct = AssignAct.list
    user_id: int = 0


class RosterCB(CallbackData, prefix="rs"):
    action: RosterAct = RosterAct.list
    user_id: int = 0
    page: int = 0


class ExpenseCB(CallbackData, prefix="ex"):
    action: ExpenseAct = ExpenseAct.list
    expense_id: int = 0


class AssessCB(CallbackData, prefix="ae"):
    action: AssessAct
    user_id: int = 0
    page: int = 0
