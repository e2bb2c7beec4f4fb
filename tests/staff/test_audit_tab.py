"""Settings, tab Protokoll: the broker's audit log, newest first, filtered by actor, action and date;
another broker's entries never appear."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from einblick.audit.models import AuditEntry
from einblick.audit.services import log_action
from tests.factories import load, make_grant
from tests.pages import text
from tests.samples import person


def test_the_log_filters_and_keeps_to_its_broker(broker, other_broker, broker_admin):
    load(broker, customers={"K-1": person("Muster", "Klara")})
    grant = make_grant(broker, "Familie", ["K-1"])
    admin = broker_admin.client
    admin.get(f"/staff/grants/{grant.pk}/preview/")
    log_action(
        broker=other_broker, actor=None, action="grant.created", object_type="grant", object_id="g_fremd"
    )
    old = log_action(broker=broker, actor=None, action="broker.logo_set")
    AuditEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    url = f"/staff/{broker.pk}/audit/"
    page = text(admin.get(url))
    assert "grant.created" in page and "grant.previewed" in page and broker_admin.email in page
    assert "g_fremd" not in page
    only = text(admin.get(url, {"action": "grant.previewed"}))
    assert (
        "grant.previewed" in only
        and f"grant {grant.pk}</td>" in only
        and "portfolio.import" not in only.split("<tbody>")[1]
    )
    by_actor = text(admin.get(url, {"actor": "chefin"})).split("<tbody>")[1]
    assert "grant.previewed" in by_actor and "portfolio.import" not in by_actor
    today = timezone.localdate().isoformat()
    recent = text(admin.get(url, {"from": today, "to": today})).split("<tbody>")[1]
    assert "broker.logo_set" not in recent and "grant.previewed" in recent
    assert "broker.logo_set" in text(
        admin.get(url, {"to": (timezone.localdate() - timedelta(days=30)).isoformat()})
    )
    assert admin.get(url, {"from": "2026-13-45", "action": "<script>", "actor": "\x00"}).status_code == 200


def test_older_entries_are_paged_and_keep_the_filter(broker, monkeypatch, broker_admin):
    from einblick.staff import audit

    monkeypatch.setattr(audit, "PAGE", 3)
    admin = broker_admin.client
    marks = [f"x{n}" for n in range(7)]
    for mark in marks:
        log_action(broker=broker, actor=None, action="broker.logo_set", object_type="n", object_id=mark)
    url = f"/staff/{broker.pk}/audit/"
    seen: list[str] = []
    query = {"action": "broker.logo_set"}
    queries: list[dict[str, str]] = []
    for _ in range(3):
        page = text(admin.get(url, query))
        body = page.split("<tbody>")[1].split("</tbody>")[0]
        seen += [
            name for _, name in sorted((body.index(f"n {m}</td>"), m) for m in marks if f"n {m}</td>" in body)
        ]
        link = (
            page.split('rel="next"')[0].rsplit('href="?', 1)[-1].split('"')[0] if 'rel="next"' in page else ""
        )
        if not link:
            break
        assert "action=broker.logo_set" in link
        query = dict(pair.split("=") for pair in link.replace("&amp;", "&").split("&"))
        queries.append(query)
    assert seen == ["x6", "x5", "x4", "x3", "x2", "x1", "x0"]  # newest first, each once
    for odd in ("9" * 40, "-1", "abc", "99999", "½"):
        assert admin.get(url, {"page": odd}).status_code == 200
    # The links count pages of this log: no entry id (ids are shared by all brokers) is in them.
    assert [q.get("page") for q in queries] == ["1", "2"]
    assert all(set(q) == {"action", "page"} for q in queries)


def test_actions_are_named_in_german_with_their_code(broker, broker_admin):
    from einblick.audit.labels import action_label

    load(broker, customers={"K-1": person("Muster", "Klara")})
    make_grant(broker, "Familie", ["K-1"])
    admin = broker_admin.client
    page = text(admin.get(f"/staff/{broker.pk}/audit/"))
    assert 'Freischaltung angelegt <small class="muted">grant.created</small>' in page
    assert '<option value="grant.created">Freischaltung angelegt</option>' in page
    assert action_label("contracts.deleted") == "Vertrag gelöscht"
    assert action_label("lines.updated") == "Sparte geändert"
    assert action_label("something.new") == "something.new"  # unknown codes as they are


def test_every_action_the_code_writes_has_a_name():
    """A new log_action(action="…") needs its German name in audit/labels.py."""
    import re
    from pathlib import Path

    from einblick.audit.labels import ACTIONS

    source = Path(__file__).resolve().parents[2] / "src" / "einblick"
    written = {
        code
        for path in source.rglob("*.py")
        for code in re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text())
    } | {
        code
        for path in source.rglob("*.py")
        for code in re.findall(r'_mfa\("([a-z_]+\.[a-z_]+)"\)', path.read_text())
    }
    assert written and not written - set(ACTIONS), sorted(written - set(ACTIONS))
