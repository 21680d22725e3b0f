"""The "cases" and "followup" roll-up families: one local day of every figure in case_reports.

The scheduler's daily-figures job refreshes today and yesterday; reports read these rows for
past days and compute the rest live, with the same queries.
"""

from hotline.dashboard import case_reports
from hotline.dashboard.rollups import rollup


@rollup("cases")
def cases(day):
    """Received per channel/kind/category/problem/region/respondent/department, accepted,
    not accepted per ground, referred per agency, returns, appeals, time limits per clock."""
    return list(case_reports.day_rows("cases", day))


@rollup("followup")
def followup(day):
    """Callback visits due and done, surveys sent and answered, scores of 4-5."""
    return list(case_reports.day_rows("followup", day))
