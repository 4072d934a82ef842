"""The desk's store queries, one suite on SQLite and PostgreSQL (the ``db_url`` fixture):
follows by story, label and feed; routes for a check; destinations private to their owner;
sessions, throttling and tokens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.conftest import make_settings
from tracker.desk import accounts, passwords
from tracker.errors import NotFound
from tracker.service import Tracker
from tracker.store import desk as dk
from tracker.store import people
from tracker.store import queries as q


@pytest.fixture
def t(db_url: str) -> Iterator[Tracker]:
    tracker = Tracker(make_settings(db_url))
    tracker.init()
    yield tracker
    tracker.close()


def test_follows_by_story_label_and_feed_and_routes(t: Tracker) -> None:
    store, now = t.store, t.clock()
    ana, _ = accounts.add_user(store, "ana", "editor", now=now, password="a long password")
    bo, _ = accounts.add_user(store, "bo", "viewer", now=now, password="a long password")
    feed, _ = store.write(
        q.add_feed, "https://news.example/feed", match="all", labels=(), interval_s=300, now=now
    )
    ids = [
        sid
        for sid, _ in store.write(
            q.add_stories,
            [f"https://news.example/{i}" for i in range(4)],
            now=now,
            interval_s=600,
            set_interval=True,
            labels=(),
        )
    ]
    store.write(dk.set_story_labels, ids[1], ["weather"])
    from tracker.store.stories import add_story

    by_feed, _ = store.write(
        add_story, "https://news.example/f", now=now, interval_s=600, origin="feed", feed_id=feed.id
    )
    assert store.write(dk.follow, ana.id, "story", str(ids[0]), now)
    assert not store.write(dk.follow, ana.id, "story", str(ids[0]), now)  # once
    store.write(dk.follow, ana.id, "label", "weather", now)
    store.write(dk.follow, ana.id, "feed", str(feed.id), now)
    assert store.read(dk.followed_story_ids, ana.id) == [ids[0], ids[1], by_feed]
    assert store.read(dk.followed_story_ids, bo.id) == []
    d1 = store.write(
        dk.add_destination, ana.id, name="m", kind="webhook", url="https://h.example/", now=now
    )
    d2 = store.write(
        dk.add_destination, bo.id, name="m", kind="webhook", url="https://h.example/", now=now
    )
    store.write(dk.subscribe, ana.id, d1.id, dk.Rules(min_class="minor"), now)
    store.write(dk.subscribe, bo.id, d2.id, dk.Rules(followed=False, labels=("weather",)), now)
    routes = {r.destination_id: r for r in store.read(dk.routes, ids[1])}
    assert routes[d1.id].follows_story and not routes[d2.id].follows_story
    assert routes[d2.id].rules.labels == ("weather",)
    assert not store.read(dk.routes, ids[3])[0].follows_story
    assert store.read(dk.routes, by_feed)[0].follows_story  # Ana follows its feed
    assert store.read(dk.routes, ids[0])[0].follows_story  # and it, by id
    channels = {c.destination_id: c for c in store.read(dk.desk_channels)}
    assert channels[d1.id].timezone == "UTC" and channels[d1.id].url == "https://h.example/"
    # Owners only.
    with pytest.raises(NotFound):
        store.read(dk.destination, bo.id, d1.id)
    with pytest.raises(NotFound):
        store.write(dk.subscribe, bo.id, d1.id, dk.Rules(), now)
    store.write(dk.remove_destination, ana.id, d1.id)
    assert store.read(dk.destinations, ana.id) == []
    assert [s.destination.id for s in store.read(dk.subscriptions, bo.id)] == [d2.id]


def test_sessions_expire_throttling_and_tokens(t: Tracker) -> None:
    store, now, web = t.store, t.clock(), t.settings.web
    ana, _ = accounts.add_user(store, "ana", "editor", now=now, password="a long password")
    started = accounts.login(store, web, "ana", "a long password", now)
    assert accounts.session(store, started.token, now).user.name == "ana"
    later = now + timedelta(seconds=web.session_lifetime + 1)
    assert accounts.session(store, started.token, later) is None
    web.login_free_attempts = 1
    with pytest.raises(accounts.LoginRefused):
        accounts.login(store, web, "ana", "wrong password", now)
    with pytest.raises(accounts.LoginRefused):
        accounts.login(store, web, "ana", "wrong password", now)  # the one that locks
    with pytest.raises(accounts.LoginThrottled) as locked:
        accounts.login(store, web, "ana", "a long password", now)
    assert 0 < locked.value.retry_after <= web.login_lockout
    assert accounts.login(
        store, web, "ana", "a long password", now + timedelta(seconds=web.login_lockout + 1)
    )
    token = accounts.new_token(store, "ana", "ci", now)
    assert accounts.bearer_user(store, token) == store.read(people.user_by_name, "ana")
    assert store.write(people.revoke_tokens, "ana") == 1
    assert accounts.bearer_user(store, token) is None
    # The stored hash is argon2id; a reset forgets it and ends the sessions.
    creds = store.read(people.credentials, "ana")
    assert (
        creds is not None and creds.password_hash and creds.password_hash.startswith("$argon2id$")
    )
    assert passwords.verify(creds.password_hash, "a long password")
    accounts.reset(store, "ana", now=now)
    assert store.read(people.credentials, "ana").password_hash is None  # type: ignore[union-attr]
    assert ana.id == store.read(people.user_by_name, "ana").id
