"""The broker's colours on its portal pages: a small stylesheet per broker (the CSP allows no inline
styles), with a text colour on the brand colour that keeps the WCAG contrast."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404

from einblick.accounts.http import AuthenticatedRequest
from einblick.accounts.roles import brokers_of
from einblick.brokers.colours import DARK, DEFAULT_BRAND, LIGHT, contrast, ink_on
from einblick.brokers.models import Broker, BrokerLogo

__all__ = ["DARK", "DEFAULT_BRAND", "LIGHT", "brand_css", "contrast", "ink_on", "logo", "stylesheet"]


def stylesheet(broker: Broker) -> str:
    brand = broker.brand_color or DEFAULT_BRAND
    accent = broker.accent_color or brand
    # Links and outlines use the brand colour only where it is readable on white (4.5:1).
    link = brand if contrast(brand, LIGHT) >= 4.5 else DARK
    return (
        f":root {{ --brand: {brand}; --brand-ink: {ink_on(brand)}; --accent: {accent}; --link: {link}; }}\n"
    )


def _own_broker(request: AuthenticatedRequest, broker_id: int) -> Broker:
    """A broker the signed-in person belongs to (staff, or member of one of its grants); 404 else."""
    return get_object_or_404(brokers_of(request.user.email), pk=broker_id)


@login_required
def brand_css(request: AuthenticatedRequest, broker_id: int) -> HttpResponse:
    broker = _own_broker(request, broker_id)
    response = HttpResponse(stylesheet(broker), content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@login_required
def logo(request: AuthenticatedRequest, broker_id: int) -> HttpResponse:
    """The broker's logo, as the image it was checked to be (its URL changes with it)."""
    broker = _own_broker(request, broker_id)
    stored = BrokerLogo.objects.filter(broker=broker).first()
    if stored is None or not broker.logo_type:
        raise Http404
    response = HttpResponse(bytes(stored.content), content_type=broker.logo_type)
    response["Cache-Control"] = "private, max-age=86400"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response
