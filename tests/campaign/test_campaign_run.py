"""A 大下访 campaign of three departments through all four phases, end to end on the fake platform.

Problems are registered in chat (排查) and by import, a 带案下访 carries two cases and its outcome is
recorded in chat, two citizen suggestions are 采纳, cases are resolved, 回头看 finds one 反弹 that
reopens its case. The clock walks day by day at 09:00 running the scheduler's jobs; every campaign
reminder, digest and 回头看 list the platform received is checked in order, and the ledger and
summary figures against what this test computes from its own plan.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot.jobs.scheduler import run_due_jobs
from bot.services import campaign as campaign_svc
from bot.services import campaign_import, campaign_ledger, campaign_work, people, report_docx
from storage.models import CampaignSuggestion, Case
from tests.harness import Service
from tests.ledger.print_checks import assert_prints_well, sheet_as_text

TZ = ZoneInfo("Asia/Shanghai")
NAME = "2026年冬季大下访活动"
HOUSING, LABOUR, ECOLOGY = "住房和城乡建设局", "人力资源和社会保障局", "生态环境局"
PHASES = {"动员排查": (date(2026, 11, 24), date(2026, 11, 30)), "集中下访": (date(2026, 12, 1), date(2026, 12, 10)),
          "集中化解": (date(2026, 12, 11), date(2026, 12, 20)), "检查总结": (date(2026, 12, 21), date(2026, 12, 31))}
NUMBER = re.compile(r"XF\d{8}-\d{4}")
ROSTER = [  # key, role, department, title
    ("lead_h", "leader", HOUSING, "住建局局长"), ("lead_l", "leader", LABOUR, "人社局局长"),
    ("lead_e", "leader", ECOLOGY, "生态环境局局长"), ("staff_h", "staff", HOUSING, "科员"),
    ("staff_l", "staff", LABOUR, "科员"), ("staff_e", "staff", ECOLOGY, "科员"),
    ("inspector", "supervisor", "督查室", "督查室主任"),
]
IMPORT_CSV = (
    "问题内容,承办单位,风险等级,排查类型,发现日期,地点,涉及人数\n"
    "老旧小区加装电梯意见分歧，低层住户多次阻挠施工,住房和城乡建设局,较大,矛盾纠纷,2026-11-24,城关街道东风小区,40\n"
    "某建筑公司拖欠农民工工资三个月共计二十万元,人力资源和社会保障局,一般,信访突出问题,2026-11-24,开发区工地,25\n"
    "化工厂夜间偷排废水，河道发黑发臭，村民准备集体反映,生态环境局,较大,苗头隐患,2026-11-25,清河村,60\n"
)


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def message_content(m) -> str:  # type: ignore[no-untyped-def]
    """What the person reads: the text of a customer-service message, the content of a template."""
    if m.kind == "template":
        return str(m.payload["data"]["content"]["value"])
    return str(m.text)


def campaign_messages(svc: Service, openid: str) -> list[tuple[str, object]]:
    out = []
    for m in svc.wx.inbox(openid):
        first = message_content(m).splitlines()[0]
        if first.startswith(f"【{NAME}·"):
            out.append((first, m))
    return out


def digest_totals(m) -> dict[str, str]:  # type: ignore[no-untyped-def]
    if m.kind == "template":
        data = m.payload["data"]
        return {k: data[k]["value"] for k in ("registered", "resolved", "rate", "overdue", "reviewed")}
    match = re.search(r"合计：登记 (\d+)，化解 (\d+)，化解率 (\S+)，超期 (\d+)，回头看 (\d+)", m.text)
    assert match, m.text
    return dict(zip(("registered", "resolved", "rate", "overdue", "reviewed"), match.groups(), strict=True))


def pct(a: int, b: int) -> str:
    return "—" if not b else f"{a / b * 100:.1f}%"


async def walk(svc: Service, first: date, last: date) -> None:
    """09:00 on each day: the scheduler's jobs run, the sender delivers."""
    for day in days(first, last):
        svc.clock.set(at(day))
        await run_due_jobs(svc.rt)
        await svc.deliver_outbox()


async def case_by_number(svc: Service, number: str) -> Case:
    async with svc.rt.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        return case


@pytest.mark.timeout(300)  # a month of days, two LibreOffice conversions and the Word 总结
async def test_campaign_runs_through_four_phases_with_reminders_digests_ledger_and_summary(
        service: Service, tmp_path: Path) -> None:
    svc = service
    rt = svc.rt
    rt.settings.template_ids["default"] = "TPL_CAMPAIGN"  # leaders outside the 48-hour window get templates
    # ---- set-up (admin): people bound through chat, the campaign with three departments ------------------
    codes = {}
    async with rt.sessions() as session, session.begin():
        for key, role, dept, title in ROSTER:
            _, codes[key] = await people.create_person(session, rt, name=f"{key}-name", role=role, department=dept,
                                                       title=title)
    ids = {key: f"o-{key}" for key, *_ in ROSTER}
    for key, *_ in ROSTER:
        assert "绑定成功" in await svc.say(ids[key], f"绑定 {codes[key]}")
    async with rt.sessions() as session, session.begin():
        campaign = await campaign_svc.create_campaign(
            session, rt, name=NAME, phases=PHASES,
            departments=[(HOUSING, "lead_h-name"), (LABOUR, "lead_l-name"), (ECOLOGY, "lead_e-name")])
        campaign_id = campaign.id

    # ---- 动员排查: 排查 in chat (one 重大) and by import ------------------------------------------------------
    await walk(svc, date(2026, 11, 24), date(2026, 11, 24))
    svc.clock.set(at(date(2026, 11, 24), 10))
    assert "动员排查" in await svc.say(ids["staff_h"], "活动")
    assert "请描述" in await svc.say(ids["staff_h"], "排查")
    assert "地点" in await svc.say(ids["staff_h"], "幸福小区开发商逾期交房两年，业主计划集体到市政府上访")
    assert "多少人" in await svc.say(ids["staff_h"], "城关街道幸福小区")
    assert "风险等级" in await svc.say(ids["staff_h"], "120")
    assert "风险等级只能是" in await svc.say(ids["staff_h"], "很大")
    assert "问题类型" in await svc.say(ids["staff_h"], "重大")
    reply = await svc.say(ids["staff_h"], "3")
    assert "已登记排查问题" in reply and "群体性风险" in reply and "督查室" in reply, reply
    c1 = NUMBER.search(reply).group(0)  # type: ignore[union-attr]
    await svc.say(ids["staff_l"], "排查 社区养老服务站关停，老人就餐无着落")
    await svc.say(ids["staff_l"], "跳过")
    await svc.say(ids["staff_l"], "跳过")
    await svc.say(ids["staff_l"], "一般")
    reply = await svc.say(ids["staff_l"], "1")
    c2 = NUMBER.search(reply).group(0)  # type: ignore[union-attr]
    assert LABOUR in reply

    path = tmp_path / "paicha.csv"
    path.write_text(IMPORT_CSV, encoding="utf-8")
    async with rt.sessions() as session, session.begin():
        report = await campaign_import.import_file(session, rt, await session.get(campaign_svc.Campaign, campaign_id),
                                                   path)
    assert report.clean and len(report.imported) == 3
    i1, i2, i3 = report.imported
    await svc.deliver_outbox()
    for who in ("lead_h", "inspector"):
        alerts = [message_content(m) for m in svc.wx.inbox(ids[who]) if "【重大风险】" in message_content(m)]
        assert len(alerts) == 1 and c1 in alerts[0], who
    assert not any("【重大风险】" in message_content(m) for m in svc.wx.inbox(ids["lead_l"]))

    c1_case = await case_by_number(svc, c1)
    assert (c1_case.source, c1_case.risk_level, c1_case.campaign_id) == ("排查", "重大", campaign_id)
    assert c1_case.owner_id is not None and c1_case.group_risk

    await walk(svc, date(2026, 11, 25), date(2026, 11, 30))

    # ---- 集中下访: a 带案下访 carrying two cases; two citizen suggestions taken to 采纳 ----------------------
    assert "暂不征集" in await svc.say("o-citizen1", "建议")
    await walk(svc, date(2026, 12, 1), date(2026, 12, 1))
    async with rt.sessions() as session, session.begin():
        visit = await campaign_work.add_visit(
            session, rt, await session.get(campaign_svc.Campaign, campaign_id), leader="lead_h-name",
            day="2026-12-03", start="09:00", end="12:00", place="城关街道办事处", form="带案下访", department=HOUSING,
            cases=[c1, i1])
        visit_id = visit.id
    svc.clock.set(at(date(2026, 12, 1), 10))
    suggestions = []
    for citizen, text in (("o-citizen1", "建议在老城区增设公共停车场，缓解停车难"),
                          ("o-citizen2", "建议扩大社保缴费网上办理范围，减少跑腿")):
        assert "欢迎您" in await svc.say(citizen, "建议")
        reply = await svc.say(citizen, text)
        assert "感谢您的建议" in reply, reply
        suggestions.append(NUMBER.search(reply).group(0))  # type: ignore[union-attr]
    async with rt.sessions() as session:
        suggestion_depts = [(await session.scalar(select(Case).where(Case.number == n))).department.name  # type: ignore[union-attr]
                            for n in suggestions]
    # The staff of the department the rules route each suggestion to answers it.
    answerers = {}
    for i, (number, dept) in enumerate(zip(suggestions, suggestion_depts, strict=True)):
        async with rt.sessions() as session, session.begin():
            person, code = await people.create_person(session, rt, name=f"answer{i}", role="staff", department=dept)
        answerers[number] = f"o-answer{i}"
        await svc.say(answerers[number], f"绑定 {code}")
    for number in suggestions:
        reply = await svc.say(answerers[number], f"答复建议 {number} 采纳 已列入明年民生实事项目")
        assert "已答复建议" in reply, reply
    await svc.deliver_outbox()
    for citizen, number in zip(("o-citizen1", "o-citizen2"), suggestions, strict=True):
        assert any(number in t and "采纳" in t for t in svc.inbox(citizen))

    await walk(svc, date(2026, 12, 2), date(2026, 12, 3))
    svc.clock.set(at(date(2026, 12, 3), 15))
    reply = await svc.say(ids["lead_h"], f"下访记录 {visit_id}")
    assert c1 in reply and i1 in reply, reply
    assert "新发现" in await svc.say(ids["lead_h"], "40")
    assert "当场化解" in await svc.say(ids["lead_h"], "城关街道路灯长期不亮，居民夜间出行不便")
    reply = await svc.say(ids["lead_h"], f"{c1} 开发商承诺月底前交房并按合同支付违约金\n{i1} 召开协调会，全体业主签字同意加装方案")
    assert "接待群众 40 人" in reply and "新登记问题 1 件" in reply and "当场化解 2 件" in reply, reply
    v1 = NUMBER.findall(reply.split("新登记问题")[1])[0]
    v1_case = await case_by_number(svc, v1)
    assert v1_case.source == "下访" and v1_case.campaign_id == campaign_id
    for number in (c1, i1):
        assert (await case_by_number(svc, number)).status == "resolved"

    await walk(svc, date(2026, 12, 4), date(2026, 12, 10))

    # ---- 集中化解: resolve the rest but one (i2 stays unhandled and goes overdue) ---------------------------
    await walk(svc, date(2026, 12, 11), date(2026, 12, 12))
    svc.clock.set(at(date(2026, 12, 12), 10))
    for who, number, result in (("staff_l", c2, "协调街道恢复养老服务站运营"), ("staff_e", i3, "责令化工厂停产整改并处罚款"),
                                ("staff_h", v1, "已更换路灯十二盏")):
        assert "已受理" in await svc.say(ids[who], f"受理 {number}")
        assert "已办结" in await svc.say(ids[who], f"办结 {number} {result}"), number
    await walk(svc, date(2026, 12, 13), date(2026, 12, 20))

    # ---- 检查总结: 回头看 lists go to the owners; one 反弹 reopens its case -------------------------------
    await walk(svc, date(2026, 12, 21), date(2026, 12, 21))
    svc.clock.set(at(date(2026, 12, 21), 10))
    expected_lists = {"staff_h": [c1], "lead_h": [i1, v1], "staff_l": [c2], "staff_e": [i3]}
    for who, numbers in expected_lists.items():
        lists = [message_content(m) for first, m in campaign_messages(svc, ids[who]) if "回头看" in first]
        assert len(lists) == 1, (who, lists)
        assert NUMBER.findall(lists[0]) == numbers, (who, lists[0])
    assert "已解决" in await svc.say(ids["staff_h"], f"回头看 {c1} 已解决 业主已收房")
    assert "已解决" in await svc.say(ids["lead_h"], f"回头看 {i1} 已解决 电梯已开工")
    assert "请写明" in await svc.say(ids["lead_h"], f"回头看 {v1} 反弹")
    assert "重新办理" in await svc.say(ids["lead_h"], f"回头看 {v1} 反弹 更换后的路灯又坏了三盏")
    assert "已解决" in await svc.say(ids["staff_l"], f"回头看 {c2} 已解决")
    assert "已解决" in await svc.say(ids["staff_e"], f"回头看 {i3} 已解决 复查水质达标")
    assert "不能" in await svc.say(ids["staff_l"], f"回头看 {i2} 已解决")
    v1_case = await case_by_number(svc, v1)
    assert v1_case.status == "in_progress" and v1_case.reopened_count == 1
    await walk(svc, date(2026, 12, 22), date(2026, 12, 31))

    # ---- every reminder and digest, in order ----------------------------------------------------------------
    leader_expected = []
    for phase, (start, end) in PHASES.items():
        leader_expected.append(f"【{NAME}·{phase}阶段开始】{start.isoformat()}至{end.isoformat()}")
        leader_expected.append(f"【{NAME}·{phase}阶段即将结束】本阶段{end.isoformat()}结束，还剩 3 天。")
    for who in ("lead_l", "lead_e"):
        assert [first for first, _ in campaign_messages(svc, ids[who])] == leader_expected, who
    housing = [first for first, _ in campaign_messages(svc, ids["lead_h"])]
    review_head = f"【{NAME}·回头看】检查总结阶段开始（2026-12-31前完成），请对以下 2 件已化解事项逐件回访核实："
    assert housing == leader_expected[:7] + [review_head] + leader_expected[7:]  # the list follows the phase reminder

    mondays = [date(2026, 11, 30), date(2026, 12, 7), date(2026, 12, 14), date(2026, 12, 21), date(2026, 12, 28)]
    phase_of = {d: next(p for p, (s, e) in PHASES.items() if s <= d <= e) for d in mondays}
    digests = campaign_messages(svc, ids["inspector"])
    assert [first for first, _ in digests] == [f"【{NAME}·周进度】截至{d.isoformat()}（{phase_of[d]}阶段）："
                                               for d in mondays]
    # Independently: (registered, resolved, overdue, reviewed) as of each Monday 09:00, from the plan above.
    plan = {date(2026, 11, 30): (5, 0, 0, 0), date(2026, 12, 7): (6, 2, 0, 0), date(2026, 12, 14): (6, 5, 1, 0),
            date(2026, 12, 21): (6, 5, 1, 0), date(2026, 12, 28): (6, 4, 1, 5)}
    for (_, m), day in zip(digests, mondays, strict=True):
        reg, res, over, rev = plan[day]
        assert digest_totals(m) == {"registered": str(reg), "resolved": str(res), "rate": pct(res, reg),
                                    "overdue": str(over), "reviewed": str(rev)}, day

    # ---- ledger and summary ---------------------------------------------------------------------------------
    svc.clock.set(at(date(2026, 12, 31), 17))
    async with rt.sessions() as session:
        snap = await campaign_ledger.snapshot(session, rt, await session.get(campaign_svc.Campaign, campaign_id))
        campaign_ledger.write_ledger(rt, snap, tmp_path / "ledger.xlsx")
        campaign_ledger.write_summary_xlsx(rt, snap, tmp_path / "summary.xlsx")
        markdown = campaign_ledger.render_markdown(rt, snap)
        docx_bytes = await report_docx.campaign_docx(session, rt, await session.get(campaign_svc.Campaign, campaign_id))
        suggestion_rows = list(await session.scalars(select(CampaignSuggestion)))
    assert {s.adoption for s in suggestion_rows} == {"采纳"} and len(suggestion_rows) == 2

    wb = load_workbook(tmp_path / "ledger.xlsx")
    assert wb.sheetnames == ["排查台账", "下访场次", "三问建议", "部门进度"]
    cases = list(wb["排查台账"].iter_rows(min_row=3, values_only=True))
    headers = [c.value for c in wb["排查台账"][2]]
    col = {h: i for i, h in enumerate(headers)}
    assert [r[col["信访编号"]] for r in cases] == [c1, c2, i1, i2, i3, v1]
    expected_risk = {c1: "重大", c2: "一般", i1: "较大", i2: "一般", i3: "较大", v1: "一般"}
    expected_status = {c1: "已结案", c2: "已结案", i1: "已结案", i2: "已登记", i3: "已结案", v1: "办理中"}
    expected_phase = {c1: "动员排查", c2: "动员排查", i1: "动员排查", i2: "动员排查", i3: "动员排查", v1: "集中下访"}
    for row in cases:
        number = row[col["信访编号"]]
        assert row[col["风险等级"]] == expected_risk[number]
        assert row[col["办理状态"]] in (expected_status[number], "已办结"), (number, row[col["办理状态"]])
        assert row[col["阶段"]] == expected_phase[number]
        assert row[col["一级分类"]] and row[col["问题类别"]]
    assert next(r for r in cases if r[col["信访编号"]] == v1)[col["回头看"]].startswith("反弹")

    visit_row = list(wb["下访场次"].iter_rows(min_row=3, values_only=True))
    assert len(visit_row) == 1
    assert visit_row[0][2] == "带案下访" and visit_row[0][5] == f"{c1}、{i1}" and visit_row[0][6] == 40
    assert visit_row[0][7] == v1 and visit_row[0][8] == f"{c1}、{i1}"
    sugg = list(wb["三问建议"].iter_rows(min_row=3, values_only=True))
    assert [r[1] for r in sugg] == suggestions and all(r[7] == "采纳" for r in sugg)

    # Per department, from the plan: housing c1 i1 v1 (v1 reopened), labour c2 i2 (i2 overdue), ecology i3.
    dept_expected = {HOUSING: (3, 2, 0, 3, 1, 1), LABOUR: (2, 1, 1, 1, 0, 0), ECOLOGY: (1, 1, 0, 1, 0, 0)}
    dept_rows = {r[0]: r for r in wb["部门进度"].iter_rows(min_row=3, values_only=True)}
    for dept, (reg, res, over, rev, reb, major) in dept_expected.items():
        # The rate is a number formatted as a percentage in the workbook.
        assert dept_rows[dept][2:] == (reg, res, pytest.approx(res / reg), over, rev, reb, major), dept
    assert dept_rows["合计"][2:] == (6, 4, pytest.approx(4 / 6), 1, 5, 1, 1)

    summary = load_workbook(tmp_path / "summary.xlsx")
    phases = {r[0]: r for r in summary["分阶段情况"].iter_rows(min_row=3, values_only=True)}
    # registered by the phase it was found in; visits; resolved (still) by the phase of resolution; reviews.
    assert phases["动员排查"][2:] == (5, 0, 0, 0)
    assert phases["集中下访"][2:] == (1, 1, 2, 0)
    assert phases["集中化解"][2:] == (0, 0, 2, 0)
    assert phases["检查总结"][2:] == (0, 0, 0, 5)
    by_category = list(summary["分类别情况"].iter_rows(min_row=3, values_only=True))
    assert sum(r[2] for r in by_category) == 6 and sum(r[3] for r in by_category) == 4
    adoption = {r[0]: r[1] for r in summary["三问建议"].iter_rows(min_row=3, values_only=True)}
    assert adoption == {"采纳": 2, "部分采纳": 0, "留作参考": 0, "待答复": 0, "合计": 2}
    assert "化解率 66.7%" in markdown and "## 二、分类别情况" in markdown and "反弹 1 件" in markdown

    # Both workbooks print; the Word 总结 has the summary workbook's tables, the narrative and the charts.
    assert_prints_well(tmp_path / "ledger.xlsx")
    assert_prints_well(tmp_path / "summary.xlsx")
    doc = Document(io.BytesIO(docx_bytes))
    assert doc.paragraphs[0].text == f"{NAME}工作总结"
    assert len(doc.inline_shapes) >= 3
    text = "\n".join(p.text for p in doc.paragraphs)
    assert all(paragraph in text for paragraph in campaign_ledger.narrative(snap))
    assert [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables] == \
        [sheet_as_text(ws) for ws in summary.worksheets if ws.max_row > 2]

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice not installed (.ci/system-packages installs it)")
    outdir = tmp_path / "pdf"
    for name in ("ledger.xlsx", "summary.xlsx"):
        result = subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}", "--headless", "--convert-to", "pdf",
             "--outdir", str(outdir), str(tmp_path / name)], capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr
        pdf = outdir / name.replace(".xlsx", ".pdf")
        assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF"), (result.stdout, result.stderr)
