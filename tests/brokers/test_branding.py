"""The broker's colours frame its portal pages, readable whatever colour the broker picks."""

from __future__ import annotations

import pytest
from django.test import Client

from einblick.brokers.models import Broker
from einblick.portal.branding import DARK, LIGHT, contrast, ink_on, stylesheet
from tests.factories import make_grant, member_client


@pytest.mark.parametrize(
    ("color", "ink"), [("#0f766e", LIGHT), ("#fde047", DARK), ("#000000", LIGHT), ("#ffffff", DARK)]
)
def test_text_on_the_brand_colour_is_white_or_dark_whichever_reads_better(color, ink):
    assert ink_on(color) == ink
    assert contrast(color, ink) >= 4.5


def test_without_colours_the_portal_uses_einbliks_own_and_a_pale_colour_never_colours_links():
    assert "--brand: #1d4ed8" in stylesheet(Broker(name="X"))
    pale = stylesheet(Broker(name="X", brand_color="#fde047"))
    assert "--link: #1f2933" in pale  # yellow links on white would be unreadable


def test_the_brand_stylesheet_is_for_the_brokers_own_people_and_others_answer_404(
    broker, other_broker, klara
):
    Broker.objects.filter(pk=broker.pk).update(brand_color="#0f766e", accent_color="#b45309")
    anonymous = Client().get(f"/portal/brand/{broker.pk}.css")
    assert anonymous.status_code == 302
    stranger = member_client(make_grant(other_broker, "Andere"), "fremd@example.org")
    assert stranger.get(f"/portal/brand/{broker.pk}.css").status_code == 404
    css = klara.client.get(f"/portal/brand/{broker.pk}.css")
    assert css.status_code == 200 and css["Content-Type"].startswith("text/css")
    assert "--brand: #0f766e" in css.content.decode() and "--accent: #b45309" in css.content.decode()
    assert klara.client.get("/portal/brand/999999.css").status_code == 404


def test_a_colour_that_is_not_hex_is_refused_by_the_model(broker):
    from django.core.exceptions import ValidationError

    broker.brand_color = "red; } body { display:none"
    with pytest.raises(ValidationError):
        broker.full_clean()
