"""A caller's phone as Twilio drives our webhooks: dial, press keys, wait, hang up.

Shared by the voice webhook tests (tests/telephony) and the operator tests (tests/calls).
TwiML is read by parsing the XML, never by matching strings.
"""

import secrets
import xml.etree.ElementTree as ET

BASE = "http://hotline.test"  # TestingConfig.PUBLIC_BASE_URL
HOTLINE = "+8610012315"
ACCOUNT = "AC" + "0" * 32
CALLER = "+8613800138000"


def call_sid():
    return "CA" + secrets.token_hex(16)


def parse(response):
    """The TwiML of a webhook answer, as an XML element (asserting it is one)."""
    assert response.status_code == 200, (response.status_code, response.data[:300])
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)  # noqa: S314 (our own TwiML)
    assert root.tag == "Response"
    return root


def says(root):
    return [el.text for el in root.iter("Say")]


def path_of(url):
    assert url.startswith(BASE + "/"), url
    return url[len(BASE):]


class Phone:
    """One inbound call. `last` is the TwiML the caller is hearing now."""

    def __init__(self, twilio_post, number=CALLER, sid=None):
        self.twilio_post = twilio_post
        self.number = number
        self.sid = sid or call_sid()
        self.last = None
        self.queue = None

    def send(self, path, **params):
        form = {"CallSid": self.sid, "AccountSid": ACCOUNT, "From": self.number, "To": HOTLINE,
                "CallStatus": "in-progress", "Direction": "inbound", **params}
        return self.twilio_post(path, form)

    def _hear(self, response):
        self.last = parse(response)
        enqueue = self.last.find("Enqueue")
        if enqueue is not None:
            self.queue = enqueue
        return self.last

    def call(self):
        return self._hear(self.send("/twilio/voice", CallStatus="ringing"))

    def press(self, digits):
        """Key digits into the <Gather> being played ('' = the caller keyed nothing)."""
        gather = self.last.find("Gather")
        assert gather is not None, ET.tostring(self.last)
        return self._hear(self.send(path_of(gather.get("action")), Digits=digits))

    def wait(self, queue_time, position=1):
        """Twilio fetching the wait URL while the caller is queued."""
        assert self.queue is not None, "not queued"
        return parse(self.send(path_of(self.queue.get("waitUrl")), QueuePosition=str(position),
                               QueueTime=str(queue_time), QueueSid="QU" + "0" * 32, CurrentQueueSize="1"))

    def leave_queue(self, result, queue_time):
        """Enqueue's action callback."""
        assert self.queue is not None, "not queued"
        return self._hear(self.send(path_of(self.queue.get("action")), QueueResult=result,
                                    QueueTime=str(queue_time), QueueSid="QU" + "0" * 32))

    def record(self, url="https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1", seconds=12):
        record = self.last.find("Record")
        assert record is not None, ET.tostring(self.last)
        return self._hear(self.send(path_of(record.get("action")), RecordingUrl=url,
                                    RecordingDuration=str(seconds), RecordingSid="RE" + "1" * 32))

    def status(self, status, duration=None, sequence=None):
        params = {"CallStatus": status}
        if duration is not None:
            params["CallDuration"] = str(duration)
        if sequence is not None:
            params["SequenceNumber"] = str(sequence)
        return self.send("/twilio/voice/status", **params)
