"""A/B tests and stale caches flip a page between versions: a return is a revert, alerted once."""

from sqlalchemy import select

from tests.conftest import sessions
from tests.servers import article_html
from tracker.config import ChannelSettings
from tracker.store.models import Change, Notification

A = [
    "The storm killed 12 people across the region, officials said on Monday evening.",
    "Power was cut to 40,000 homes; crews expect to restore it by Wednesday.",
]
B = [
    "The storm killed 15 people across the region, officials said on Monday evening.",
    "Power was cut to 40,000 homes; crews expect to restore it by Wednesday.",
]


def test_return_to_an_earlier_version_is_a_revert_and_does_not_alert(tracker, server):
    tracker.settings.channels = [
        ChannelSettings(
            name="desk", kind="webhook", url="http://127.0.0.1:9/hook", min_class="cosmetic"
        )
    ]
    url = server.page("/storm", article_html("Storm toll", A))
    [sid] = [a.story_id for a in tracker.add([url])]
    outcomes = []
    for body in (A, B, A, B):
        server.page("/storm", article_html("Storm toll", body))
        outcomes.append(tracker.check([sid])[0])
    assert [o.version for o in outcomes] == [1, 2, 3, 4]
    assert outcomes[2].summary.startswith("reverted to version 1")
    with sessions(tracker)() as session:
        changes = session.scalars(select(Change).order_by(Change.id)).all()
        alerted = set(session.scalars(select(Notification.change_id)))
    assert [c.revert_of for c in changes] == [None, 1, 2]
    assert alerted == {changes[0].id}, "only the first real change alerts; flip-flops do not"
