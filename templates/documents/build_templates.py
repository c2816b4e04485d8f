"""Build the shipped Word templates (A4, 公文 fonts: 小标宋/黑体 headings, 仿宋 body).

    .venv/bin/python templates/documents/build_templates.py

The .docx files are what ships and what a union copies into DOCUMENTS_DIR and edits in
Word; this script only makes the shipped ones reproducible. Variables are listed in
bot/presentation/document_views.py; `xieshang templates check` checks any template against them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

HERE = Path(__file__).resolve().parent
BODY, HEADING, TITLE = "仿宋", "黑体", "方正小标宋简体"


def _east_asian(element: object, font: str) -> None:
    rpr = element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), font)


class Builder:
    def __init__(self, title: str) -> None:
        self.doc: DocumentType = Document()
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        normal = self.doc.styles["Normal"]
        normal.font.name = "Times New Roman"
        normal.font.size = Pt(16)  # 三号
        _east_asian(normal.element, BODY)
        normal.paragraph_format.line_spacing = Pt(28)
        self.title(title)

    def _para(
        self,
        text: str,
        font: str = BODY,
        size: float = 16,
        bold: bool = False,
        align: WD_ALIGN_PARAGRAPH | None = None,
        indent: bool = False,
        after: float = 0,
    ) -> None:
        paragraph = self.doc.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        if indent:
            paragraph.paragraph_format.first_line_indent = Pt(size * 2)
        paragraph.paragraph_format.space_after = Pt(after)
        run = paragraph.add_run(text)
        run.font.size, run.bold = Pt(size), bold
        _east_asian(run._element, font)

    def title(self, text: str) -> None:
        self._para(text, TITLE, 22, align=WD_ALIGN_PARAGRAPH.CENTER, after=16)

    def heading(self, text: str, center: bool = False) -> None:
        self._para(text, HEADING, 16, align=WD_ALIGN_PARAGRAPH.CENTER if center else None)
        self.doc.paragraphs[-1].paragraph_format.keep_with_next = True  # never last on a page

    def article(self, label: str, text: str) -> None:
        """第X条 in 黑体, then the article's text, first line indented as 公文 do."""
        paragraph = self.doc.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(32)
        for content, font in ((label + "　", HEADING), (text, BODY)):
            run = paragraph.add_run(content)
            run.font.size = Pt(16)
            _east_asian(run._element, font)

    def sign_table(self, left: Sequence[str], right: Sequence[str]) -> None:
        """Two columns of signature and seal lines, side by side, no borders, room to sign."""
        self.doc.add_paragraph().paragraph_format.keep_with_next = True
        table = self.doc.add_table(rows=max(len(left), len(right)), cols=2)
        for row, (a, b) in enumerate(zip(left, right, strict=False)):
            # The block stays on one page: a signature line never starts a page alone.
            properties = table.rows[row]._tr.get_or_add_trPr()
            properties.append(OxmlElement("w:cantSplit"))
            for cell, text in ((table.rows[row].cells[0], a), (table.rows[row].cells[1], b)):
                cell.text = text
                cell.paragraphs[0].paragraph_format.space_after = Pt(18)
                cell.paragraphs[0].paragraph_format.keep_with_next = True
        if right and not right[-1]:  # the last line (the date) runs across both columns
            last = table.rows[len(table.rows) - 1]
            last.cells[0].merge(last.cells[1])

    def text(self, text: str, indent: bool = True) -> None:
        self._para(text, indent=indent)

    def line(self, text: str) -> None:
        self._para(text)

    def tag(self, text: str) -> None:
        """A paragraph holding only a docxtpl block tag ({%p if %}, {%p for %}, ...)."""
        self._para(text, size=10)

    def right(self, text: str) -> None:
        self._para(text, align=WD_ALIGN_PARAGRAPH.RIGHT)

    def table(self, header: Sequence[str], loop: str, cells: Sequence[str]) -> None:
        """A table whose body row repeats over `loop` ('r in reps_w')."""
        table = self.doc.add_table(rows=3, cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.text = text
            for run in cell.paragraphs[0].runs:
                run.bold = True
                _east_asian(run._element, HEADING)
        table.rows[1].cells[0].text = "{%tr for " + loop + " %}"
        for cell, text in zip(table.rows[2].cells, cells, strict=True):
            cell.text = text
        row = table.add_row()
        row.cells[0].text = "{%tr endfor %}"
        # docxtpl wants the for/endfor tags in rows of their own around the repeated row.
        self.doc.add_paragraph()

    def signatures(self, *lines: str) -> None:
        self.doc.add_paragraph()
        for text in lines:
            self.right(text)

    def save(self, name: str, title: str) -> None:
        self.doc.core_properties.title = title
        self.doc.core_properties.author = "协商助手"
        self.doc.save(HERE / f"{name}.docx")


REPS_TABLE = (
    ("姓名", "职务", "身份"),
    "r in reps_w",
    ("{{ r.name }}", "{{ r.post }}", "{{ r.role }}"),
)
TOPICS_TABLE = (
    ("议题", "我方诉求", "对方立场", "状态"),
    "t in topics",
    ("{{ t.title }}", "{{ t.ours }}", "{{ t.theirs }}", "{{ t.status }}"),
)
PARTIES = (
    "甲方（用人单位）：{{ enterprise.name }}",
    "法定代表人：{{ a.legal_rep }}　　经济类型：{{ a.economic_type }}",
    "住所：{{ enterprise.address }}",
    "乙方（工会）：{{ a.union_name }}",
    "职工人数：{{ enterprise.headcount }}人，其中女职工{{ enterprise.women }}人",
    "甲方首席代表：{{ chief_e }}{% if chief_e_post %}（{{ chief_e_post }}）{% endif %}",
    "乙方首席代表：{{ chief_w }}{% if chief_w_post %}（{{ chief_w_post }}）{% endif %}",
    "双方协商代表各{{ reps_per_side }}名，乙方协商代表经{{ a.how_chosen }}产生。",
)
SIGN_LEFT = (
    "甲方（盖章）：",
    "法定代表人（签字）：",
    "甲方首席代表（签字）：",
    "签订日期：{{ signed_on }}",
)
SIGN_RIGHT = (
    "乙方（盖章）：",
    "乙方首席代表（签字）：",
    "",
    "",
)


def offer() -> None:
    b = Builder("集体协商要约书")
    b.line("{{ a.addressee }}：")
    b.text(
        "根据《中华人民共和国劳动合同法》《集体合同规定》{{ basis }}的规定，为维护职工合法权益、"
        "构建和谐劳动关系，{{ issuer }}代表全体职工，向贵方提出开展{{ year }}年度{{ case_type }}集体协商的要约。"
    )
    b.tag("{%p if issuer_note %}")
    b.text("（{{ issuer_note }}）")
    b.tag("{%p endif %}")
    b.heading("一、协商议题")
    b.tag("{%p for t in topics %}")
    b.text("{{ loop.index }}. {{ t.title }}{% if t.ours %}：{{ t.ours }}{% endif %}")
    b.tag("{%p endfor %}")
    b.tag("{%p if a.proposals %}")
    b.text("{{ a.proposals|lines }}")
    b.tag("{%p endif %}")
    b.heading("二、首次协商的时间和地点")
    b.text("建议于 {{ a.first_meeting }} 在{{ a.place }}举行首次协商会议。")
    b.heading("三、协商代表")
    b.text(
        "双方协商代表各 {{ a.reps_per_side }} 名。我方首席代表：{{ chief_w }}。"
        "请贵方确定协商代表及首席代表，并在回复时一并告知。我方协商代表如下："
    )
    b.table(*REPS_TABLE)
    b.heading("四、请贵方提供的资料")
    b.text("{{ a.data_requested|lines }}")
    b.text("以上资料请于 {{ a.data_due }} 前提供（不迟于首次协商前 {{ data_days }} 日）。")
    b.heading("五、回复期限")
    b.text(
        "请贵方自收到本要约书之日起 {{ reply_days }} 日内，即 {{ a.reply_due }} 前，以书面形式予以回应。"
        "无正当理由不得拒绝或拖延。"
    )
    b.signatures("{{ seal }}", "{{ today }}")
    b.line("联系人：{{ instructor.name }}　电话：{{ instructor.phone }}")
    b.save("offer", "集体协商要约书")


def reply() -> None:
    b = Builder("集体协商要约回应书")
    b.line("{{ a.offer_from }}：")
    b.text(
        "贵方于 {{ a.offer_date }} 提出的{{ year }}年度{{ case_type }}集体协商要约书收悉。经研究，回应如下："
    )
    b.tag("{%p if accepted %}")
    b.text("一、我方同意进行集体协商。")
    b.text("二、首次协商时间和地点：{{ a.meeting }}，{{ a.place }}。")
    b.text("三、我方首席代表：{{ chief_w }}。我方协商代表如下：")
    b.table(*REPS_TABLE)
    b.text("四、我方将提供以下资料：")
    b.text("{{ a.data_provided|lines }}")
    b.tag("{%p if a.counter_topics %}")
    b.text("五、我方另提出以下协商议题：")
    b.text("{{ a.counter_topics|lines }}")
    b.tag("{%p endif %}")
    b.tag("{%p else %}")
    b.text("我方暂不同意进行集体协商，理由如下：")
    b.text("{{ a.reasons|lines }}")
    b.tag("{%p endif %}")
    b.tag("{%p if issuer_note %}")
    b.text("（{{ issuer_note }}）")
    b.tag("{%p endif %}")
    b.signatures("{{ seal }}", "{{ today }}")
    b.save("reply", "集体协商要约回应书")


def plan() -> None:
    b = Builder("{{ year }}年度{{ case_type }}集体协商方案")
    b.text("协商企业：{{ enterprises_text }}", indent=False)
    b.heading("一、协商议题和目标")
    b.table(*TOPICS_TABLE)
    b.text("{{ a.targets|lines }}")
    b.heading("二、目标的依据")
    b.text("（一）职工意见调查", indent=False)
    b.tag("{%p if survey %}")
    b.text(
        "本次调查共收回有效答卷 {{ survey.total }} 份。职工最关心的议题依次为：{{ survey.top }}。"
        "{% if survey.median %}期望工资涨幅中位数为 {{ survey.median }}%，四分之一职工期望低于 "
        "{{ survey.q1 }}%，四分之一高于 {{ survey.q3 }}%。{% endif %}"
    )
    b.tag("{%p else %}")
    b.text("尚未开展职工意见调查或答卷不足，建议协商前补充开展。")
    b.tag("{%p endif %}")
    b.text("（二）工资增长测算", indent=False)
    b.tag("{%p if advice %}")
    b.text(
        "根据本地工资指导线和企业经营数据，建议工资增长区间为 {{ advice.low }}%～{{ advice.high }}%。"
    )
    b.tag("{%p for reason in advice.reasons %}")
    b.text("· {{ reason }}")
    b.tag("{%p endfor %}")
    b.tag("{%p else %}")
    b.text("尚缺工资指导线或企业经营数据，测算待补充。")
    b.tag("{%p endif %}")
    b.tag("{%p if costing %}")
    b.text("（三）成本测算（按上年企业经营数据，每年增加的支出）", indent=False)
    b.tag("{%p for line in costing.lines %}")
    b.text("· {{ line }}")
    b.tag("{%p endfor %}")
    b.text(
        "合计 {{ costing.total }} 万元{% if costing.share %}，占上年工资总额 {{ costing.share }}%{% endif %}。"
    )
    b.tag("{%p endif %}")
    b.text("{{ a.rationale|lines }}")
    b.heading("三、协商代表")
    b.text("我方首席代表：{{ chief_w }}。协商代表如下：")
    b.table(*REPS_TABLE)
    b.heading("四、宣传和意见征集")
    b.text("{{ a.publicity|lines }}")
    b.heading("五、时间安排")
    b.text("{{ a.timetable|lines }}")
    b.heading("六、预案和底线")
    b.text("{{ a.fallback|lines }}")
    b.signatures("{{ union }}", "{{ today }}")
    b.save("plan", "集体协商方案")


def minutes() -> None:
    b = Builder("集体协商会议记录")
    b.line("会议：{{ year }}年度{{ case_type }}第 {{ round.no }} 次协商会议")
    b.line("时间：{{ round.held_at }}　　地点：{{ round.place }}")
    b.line("主持人：{{ a.chair }}　　记录人：{{ round.recorder }}")
    b.line("职工方出席 {{ round.workers_present }} 人：{{ reps_w_names }}")
    b.line("企业方出席 {{ round.employer_present }} 人：{{ reps_e_names }}")
    b.heading("一、议程")
    b.text("{{ a.agenda|lines }}")
    b.heading("二、职工方陈述")
    b.text("{{ a.statements_ours|lines }}")
    b.heading("三、企业方陈述和答复")
    b.text("{{ a.statements_theirs|lines }}")
    b.heading("四、议题进展")
    b.table(*TOPICS_TABLE)
    b.heading("五、达成一致的事项")
    b.text("{{ round.agreements|lines }}")
    b.heading("六、尚未达成一致的事项")
    b.text("{{ round.open_points|lines }}")
    b.heading("七、下次协商")
    b.text("{{ round.next }}")
    b.signatures(
        "职工方首席代表（签字）：　　　　　　",
        "企业方首席代表（签字）：　　　　　　",
        "记录人（签字）：　　　　　　",
    )
    b.save("minutes", "集体协商会议记录")


def _contract(name: str, title: str) -> None:
    """Every contract has one shape: the parties, the chapters and continuously numbered
    articles the clause library and the case's topics give (bot/services/contracts.py), a
    draft's annex of the topics still open, and the signature and seal lines."""
    b = Builder("{{ enterprise.name }}{{ contract_title }}{% if draft %}（草案）{% endif %}")
    for line in PARTIES:
        b.line(line)
    b.tag("{%p for ch in chapters %}")
    b.heading("{{ ch.label }}　{{ ch.title }}{% if ch.open %}【待协商】{% endif %}", center=True)
    b.tag("{%p for art in ch.articles %}")
    b.article("{{ art.label }}", "{{ art.text }}")
    b.tag("{%p endfor %}")
    b.tag("{%p endfor %}")
    b.text("（以下无正文）", indent=False)
    b.sign_table(SIGN_LEFT, SIGN_RIGHT)
    b.tag("{%p if open_topics %}")
    b.doc.add_page_break()
    b.heading("附件：尚未达成一致的议题", center=True)
    b.text(
        "下列议题尚未达成一致，正文中相应章节标有“【待协商】”，暂按我方文本列出。"
        "全部议题达成一致后，方可生成正式文本。"
    )
    b.table(
        ("议题", "我方文本", "对方文本", "状态"),
        "o in open_topics",
        ("{{ o.title }}", "{{ o.ours }}", "{{ o.theirs }}", "{{ o.status }}"),
    )
    b.tag("{%p endif %}")
    b.save(name, title)


def contract() -> None:
    _contract("contract", "集体合同")


def wage() -> None:
    _contract("wage", "工资专项集体合同")


def women() -> None:
    _contract("women", "女职工权益保护专项集体合同")


def safety() -> None:
    _contract("safety", "劳动安全卫生专项集体合同")


def supervision() -> None:
    b = Builder("集体合同履约监督检查报告")
    b.line("检查对象：{{ enterprise.name }}　{{ a.contract_name }}")
    b.line("检查时间：{{ a.checked_on }}　　检查组：{{ a.team }}")
    b.heading("一、检查情况")
    b.text("（一）劳动报酬：{{ a.pay_findings|lines }}")
    b.text("（二）工时和休息休假：{{ a.hours_findings|lines }}")
    b.text("（三）劳动安全卫生：{{ a.safety_findings|lines }}")
    b.text("（四）社会保险和福利：{{ a.insurance_findings|lines }}")
    b.text("（五）女职工权益：{{ a.women_findings|lines }}")
    b.heading("二、职工访谈")
    b.text(
        "共访谈职工 {{ a.interviews }} 人。职工参与率 {{ a.participation }}%，"
        "对集体合同内容知晓率 {{ a.awareness }}%，对履约情况满意度 {{ a.satisfaction }}%。"
    )
    b.heading("三、整改事项")
    b.table(
        ("事项", "责任人", "完成期限"),
        "r in rectifications",
        ("{{ r.item }}", "{{ r.owner }}", "{{ r.due }}"),
    )
    b.tag("{%p if not rectifications %}")
    b.text("本次检查未发现需要整改的事项。")
    b.tag("{%p endif %}")
    b.signatures("检查组（签字）：　　　　　　", "{{ union }}", "{{ today }}")
    b.save("supervision", "集体合同履约监督检查报告")


def filing() -> None:
    b = Builder("集体合同报送材料清单")
    b.line("报送单位（甲方）：{{ enterprise.name }}")
    b.line("会同报送（乙方）：{{ a.union_name }}")
    b.line("报送至：{{ a.submitted_to }}　　联系人：{{ a.contact }}")
    b.line(
        "合同：{{ year }}年度{{ case_type }}　签订日期：{{ signed_on }}　报送期限：{{ filing_due }}"
    )
    b.table(
        ("材料", "份数", "情况"),
        "r in checklist",
        ("{{ r.item }}", "{{ r.copies }}", "{{ r.status }}"),
    )
    b.tag("{%p if missing_materials %}")
    b.text("尚缺：{{ missing_materials }}。报送前请补齐。")
    b.tag("{%p endif %}")
    b.heading("协商过程说明")
    b.text("{{ a.process_note|lines }}")
    b.heading("职工代表大会表决情况")
    b.text("{{ congress }}")
    b.sign_table(
        ("报送单位（甲方，盖章）：", "{{ enterprise.name }}"),
        ("乙方（盖章）：", "{{ a.union_name }}"),
    )
    b.right("{{ today }}")
    b.save("filing", "集体合同报送材料清单")


def resolution() -> None:
    b = Builder("{{ enterprise.name }}职工代表大会决议")
    b.line(
        "（{{ a.held_on }}{% if a.session %}{{ a.session }}{% else %}职工代表大会{% endif %}通过）"
    )
    b.text(
        "{{ a.held_on }}，{{ enterprise.name }}{% if a.session %}{{ a.session }}{% else %}"
        "职工代表大会{% endif %}审议了《{{ year }}年度{{ case_type }}集体合同（草案）》。"
        "{{ enterprise.name }}与{{ a.union_name }}{% if first_round_on %}自{{ first_round_on }}起{% endif %}经 {{ rounds_count }} 次"
        "协商形成该草案{% if chiefs_known %}，双方首席代表{{ chief_e }}、{{ chief_w }}向大会作了说明{% endif %}。"
    )
    b.text(
        "会议应到职工代表 {{ vote.total }} 人，实到 {{ vote.present }} 人，"
        "{% if vote.quorum %}达到法定出席人数（至少 {{ vote.needed_present }} 人）"
        "{% else %}不足法定出席人数（至少需要 {{ vote.needed_present }} 人），表决无效{% endif %}。"
    )
    b.text(
        "大会以{{ vote.method }}方式进行表决：赞成 {{ vote.yes }} 票，{{ vote.others }}。"
        "{% if vote.passed %}赞成票超过全体职工代表的半数（至少 {{ vote.needed_yes }} 票）。"
        "{% else %}赞成票未超过全体职工代表的半数（至少需要 {{ vote.needed_yes }} 票）。{% endif %}"
    )
    b.tag("{%p if vote.passed %}")
    b.text(
        "根据《集体合同规定》第三十六条，大会决议：通过《{{ year }}年度{{ case_type }}集体合同（草案）》，"
        "同意由双方首席代表签字，并按规定报送劳动保障行政部门审查。"
    )
    b.tag("{%p else %}")
    b.text(
        "根据《集体合同规定》第三十六条，该草案未获通过。大会要求双方协商代表就职工代表提出的意见"
        "重新协商，修改后再次提交职工代表大会审议。"
    )
    b.tag("{%p endif %}")
    b.signatures(
        "{{ enterprise.name }}职工代表大会{% if a.presiding %}（执行主席：{{ a.presiding }}）{% endif %}",
        "{{ a.held_on }}",
    )
    b.save("resolution", "职工代表大会决议")


def congress_slips() -> None:
    b = Builder("职工代表大会表决凭证")
    b.line("企业：{{ enterprise }}")
    b.line("议题：{{ motion }}")
    b.text(
        "每张凭证对应一个代表席位（共 {{ total }} 席），请沿表格线裁开，一人一张。"
        "代表用手机相机扫码、在 Telegram 中打开即完成签到；表决开始后点“投票”进行无记名表决。"
        "链接仅限本人使用一次，请勿转发。"
    )
    b.table(
        ("席位", "扫码签到并投票", "链接"),
        "s in slips",
        ("第 {{ s.number }} 席", "{{ s.qr }}", "{{ s.link }}\n{{ s.present }}"),
    )
    # The QR code needs room: single line spacing in the table (the body's is exactly 28 pt,
    # which would crop a picture to one line), columns sized for it, a smaller font.
    table = b.doc.tables[-1]
    for column, width in zip(table.columns, (Mm(22), Mm(40), Mm(94)), strict=True):
        for cell in column.cells:
            cell.width = width
    for row in table.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # a slip stays whole
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.line_spacing = 1.0
                for run in paragraph.runs:
                    run.font.size = Pt(12)
    b.save("congress_slips", "职工代表大会表决凭证")


def assessment() -> None:
    b = Builder("{{ year }}年度专职集体协商指导员考核表")
    b.line("姓名：{{ name }}　　所属工会：{{ union }}")
    b.heading("一、工作实绩（按记录统计）")
    b.table(
        ("指标", "数量", "得分（满分100）"),
        "r in rows",
        ("{{ r.label }}", "{{ r.value }}", "{{ r.score }}"),
    )
    b.text("工作实绩加权得分：{{ records }} 分。")
    b.heading("二、评议")
    b.text(
        "个人述职得分：{{ self_score }}；民主评议得分：{{ democratic }}；评议综合得分：{{ evaluation }}。"
    )
    b.heading("三、考核结果")
    b.text("综合得分 {{ total }} 分，在 {{ cohort }} 名指导员中排第 {{ rank }} 名。")
    b.text(
        "（工作实绩占 {{ records_share }}%，评议占 {{ evaluation_share }}%；评议中个人述职占 {{ self_share }}%，民主评议占 {{ democratic_share }}%。）"
    )
    b.signatures("考核工会（盖章）：{{ union }}", "{{ today }}")
    b.save("assessment", "专职集体协商指导员考核表")


if __name__ == "__main__":
    for build in (
        offer,
        reply,
        plan,
        minutes,
        contract,
        wage,
        women,
        safety,
        supervision,
        filing,
        assessment,
        resolution,
        congress_slips,
    ):
        build()
        print("built", build.__name__)
