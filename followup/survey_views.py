"""Survey answers for supervisors, and the survey panel of a case."""

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from followup import surveys
from hotline import inputs
from hotline.authz import roles_required
from hotline.models import Role, SurveyStatus

bp = Blueprint("surveys", __name__)

STATUS_LABELS = {
    SurveyStatus.PENDING: _l("Waiting to be sent"),
    SurveyStatus.SENT: _l("Sent, no reply yet"),
    SurveyStatus.CLARIFYING: _l("Asked to reply again"),
    SurveyStatus.ANSWERED: _l("Answered"),
    SurveyStatus.UNANSWERED: _l("No reply"),
    SurveyStatus.SUPPRESSED: _l("Not sent (opted out)"),
}
CHANNEL_LABELS = {"sms": _l("SMS"), "voice": _l("Callback call")}


def case_survey(ticket):
    """The case's survey for its panel, or None."""
    return surveys.survey_of(ticket)


def survey_labels():
    return {"status": STATUS_LABELS, "channel": CHANNEL_LABELS}


@bp.route("")
@roles_required(Role.SUPERVISOR)
def index():
    status = request.args.get("status") or None
    status = status if status in set(SurveyStatus) else None
    score = inputs.parse_int(request.args.get("score", ""), 1, 5)
    return render_template(
        "followup/surveys.html", rows=surveys.list_surveys(status, score), summary=surveys.summary(),
        status=status, score=score, statuses=STATUS_LABELS, channels=CHANNEL_LABELS,
    )
