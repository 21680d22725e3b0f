"""What happens to a case, as named signals: the seam between the core and the features.

The core sends; features (and the core's own outbound webhooks) receive, without the core
importing them. Signals are blinker signals, as Flask's own are. Every signal is sent with the
application as its sender (`current_app._get_current_object()`), and receivers are connected
for one application only, in that feature's `init_app`:

    events.status_changed.connect(on_status_changed, sender=app)

so the many apps a test run builds never hear each other, and connecting the same receiver to
the same app twice is harmless. A receiver is called as `receiver(app, **kwargs)`.

Receivers run in the order they were connected (create_app connects the core's first, then
intake, routing, followup). Signals sent "inside the transaction" run before the caller
commits: what a receiver writes commits or rolls back with the change, and a receiver that
raises aborts the change.

The signals:

ticket_created(app, ticket, actor)
    A case was opened (hotline.tickets.open_ticket), inserted, with its number and its "created"
    event. Inside the transaction. Receivers: outbound webhooks (case.created).

status_changed(app, ticket, from_status, to_status, actor)
    A case moved along its lifecycle (hotline.tickets.change_status), after the "status" event
    is written and flushed; an illegal change sends nothing. Inside the transaction.
    Receivers: outbound webhooks (case.status_changed), followup's surveys (a survey for a
    handled case) and callback visits (a visit for a resolved case; cancelled on reopening).

sms_received(app, contact)
    A caller's text that is not a command (opt-out, opt-in, status query) arrived
    (hotline.telephony.sms). Not a broadcast: it is *offered* with `first_taker`, receivers in
    connection order; the first that takes the text returns the case it belongs to, and the rest
    are not asked. When nobody takes it, the text joins or opens an SMS case. Inside the
    transaction. Receivers, in order: followup's surveys (a score answering an open survey; a
    survey answer is offered before the appeal word, so "不满意" to a survey is a score) and
    routing's appeals (an appeal word reopens a recently resolved case). Not offered for the first
    text of a number never seen (its Caller row was just inserted): no survey, case or appeal
    can belong to it, and that text takes the lean path (hotline.telephony.sms.first_text).

survey_answered(app, survey)
    A satisfaction survey got its score (followup.surveys.record_answer), by SMS, voice or an
    operator. Inside the transaction. Receivers: outbound webhooks (survey.answered).
"""

from blinker import NamedSignal, Namespace
from flask import current_app
from ordered_set import OrderedSet


class OrderedSignal(NamedSignal):
    """A blinker signal whose receivers run in the order they were connected (blinker's
    documented `set_class` hook), so what a case's history shows does not depend on hashing."""

    set_class = OrderedSet


class _Signals(Namespace):
    def signal(self, name, doc=None):
        if name not in self:
            self[name] = OrderedSignal(name, doc)
        return self[name]


signals = _Signals()

ticket_created = signals.signal("ticket-created", doc="A case was opened: (app, ticket, actor).")
status_changed = signals.signal(
    "status-changed", doc="A case changed status: (app, ticket, from_status, to_status, actor)."
)
sms_received = signals.signal(
    "sms-received", doc="A caller's text, offered receiver by receiver: (app, contact) -> case or None."
)
survey_answered = signals.signal("survey-answered", doc="A survey got its score: (app, survey).")


def send(signal, **kwargs):
    """Send `signal` from the current app to every receiver connected for it."""
    return signal.send(current_app._get_current_object(), **kwargs)


def first_taker(signal, **kwargs):
    """Offer `signal` to its receivers one by one, in connection order; the first that returns
    something other than None takes it and its answer is returned; later ones are not asked."""
    app = current_app._get_current_object()
    for receiver in signal.receivers_for(app):
        answer = receiver(app, **kwargs)
        if answer is not None:
            return answer
    return None
