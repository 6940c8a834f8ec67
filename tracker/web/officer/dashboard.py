"""The dashboard: figures drawn as SVG on the server, each linking to the queue that lists its cases."""

from dataclasses import dataclass
from datetime import timedelta

from flask import render_template
from flask import url_for
from flask_login import current_user

from tracker.extensions import db
from tracker.models import utcnow
from tracker.services import dashboard as figures
from tracker.services import queues
from tracker.web.officer import bp
from tracker.web.presentation import kind_label
from tracker.web.presentation import state_label
from tracker.working_days import WorkingCalendar
from tracker.working_days import local_date

#: Geometry of the charts, in SVG user units (the SVG scales to its container).
CHART_WIDTH = 600
BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 210
COLUMN_CHART_HEIGHT = 180


@dataclass(frozen=True)
class Bar:
    """One bar of a chart, placed, labelled and linked."""

    label: str
    value: int
    href: str
    x: float
    y: float
    width: float
    height: float


def horizontal_bars(items: list[tuple[str, int, str]]) -> tuple[list[Bar], int]:
    """Bars for (label, value, link), longest = full width; returns the bars and the chart's height."""
    longest = max((value for _label, value, _href in items), default=0) or 1
    room = CHART_WIDTH - LABEL_WIDTH - 60
    bars = [
        Bar(label=label, value=value, href=href, x=LABEL_WIDTH, y=index * (BAR_HEIGHT + BAR_GAP),
            width=max(room * value / longest, 2), height=BAR_HEIGHT)
        for index, (label, value, href) in enumerate(items)
    ]
    return bars, max(len(bars) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT)


def column_bars(items: list[tuple[str, int, str]]) -> list[Bar]:
    """Columns for (label, value, link) side by side, the tallest filling the plot height."""
    tallest = max((value for _label, value, _href in items), default=0) or 1
    slot = CHART_WIDTH / max(len(items), 1)
    plot = COLUMN_CHART_HEIGHT - 40
    bars = []
    for index, (label, value, href) in enumerate(items):
        height = max(plot * value / tallest, 1)
        bars.append(Bar(label=label, value=value, href=href, x=index * slot + slot * 0.15, y=20 + plot - height,
                        width=slot * 0.7, height=height))
    return bars


@bp.get("/dashboard")
def dashboard():
    """Open cases by state and kind, deadlines, filings per week, medians, and the escalated cases."""
    today = local_date(utcnow())
    calendar = WorkingCalendar.from_session(db.session)
    board = figures.build_dashboard(db.session, current_user, today=today, calendar=calendar)
    state_bars, state_height = horizontal_bars([
        (str(state_label("complaint", state)), count, url_for("officer.queue", queue_name="open", state=state))
        for state, count in board.open_by_state
    ])
    kind_bars, kind_height = horizontal_bars([
        (str(kind_label(kind)), count, url_for("officer.queue", queue_name="open", kind=kind))
        for kind, count in board.open_by_kind
    ])
    week_bars = column_bars([
        (week.monday.strftime("%m-%d"), week.count,
         url_for("officer.queue", queue_name="open", filed_from=week.monday.isoformat(),
                 filed_to=(week.monday + timedelta(days=6)).isoformat(), sort="filed"))
        for week in board.filings_per_week
    ])
    counts = queues.queue_counts(db.session, current_user, today=today, calendar=calendar)
    escalated_cases = figures.cases_of(db.session, board.escalated_entries)
    return render_template(
        "officer/dashboard.html", board=board, state_bars=state_bars, state_height=state_height,
        kind_bars=kind_bars, kind_height=kind_height, week_bars=week_bars, chart_width=CHART_WIDTH,
        column_height=COLUMN_CHART_HEIGHT, label_width=LABEL_WIDTH, queues=queues.QUEUES, counts=counts,
        count_cap=queues.COUNT_CAP, escalated_rows=escalated_cases, today=today,
    )
