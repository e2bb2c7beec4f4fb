"""Settings, tab Freischaltungen (issue 7; the seed's steps 5 and 6): the broker's grants with search by
name, customer and member e-mail; Neuanlage, open, rename, copy, delete (with confirmation). The grant
editor of the four areas follows."""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from einblick.accounts.http import AuthenticatedRequest
from einblick.brokers.models import Broker, StaffMember
from einblick.grants.models import Grant
from einblick.grants.payloads import GrantIn
from einblick.grants.services import create_grant
from einblick.office.members import delete_grant
from einblick.staff.access import settings_view

PAGE = 200


class NameForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)


def _grant(broker: Broker, grant_id: str) -> Grant:
    return get_object_or_404(Grant.objects.select_related("broker"), broker=broker, pk=grant_id[:24])


@settings_view
def grant_list(request: AuthenticatedRequest, broker: Broker, me: StaffMember) -> HttpResponse:
    q = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    rows = Grant.objects.filter(broker=broker)
    if q:
        rows = rows.filter(
            Q(name__icontains=q)
            | Q(customers__last_name__icontains=q)
            | Q(customers__first_name__icontains=q)
            | Q(customers__company_name__icontains=q)
            | Q(customers__external_id__iexact=q)
            | Q(members__email__icontains=q)
        ).distinct()
    rows = rows.annotate(
        customer_count=Count("customers", distinct=True), member_count=Count("members", distinct=True)
    ).order_by("name", "pk")
    context = {"broker": broker, "grants": list(rows[:PAGE]), "q": q, "form": NameForm()}
    return render(request, "staff/grants.html", context)


@settings_view
def grant_new(request: AuthenticatedRequest, broker: Broker, me: StaffMember) -> HttpResponse:
    form = NameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        grant = create_grant(
            broker=broker,
            actor=request.user,
            data=GrantIn.model_validate({"name": " ".join(form.cleaned_data["name"].split())}),
        )
        flash.success(request, _("The grant is created."))
        return redirect("staff:grant", broker_id=broker.pk, grant_id=grant.pk)
    return render(request, "staff/grant_new.html", {"broker": broker, "form": form})


@settings_view
def grant_delete(
    request: AuthenticatedRequest, broker: Broker, me: StaffMember, grant_id: str
) -> HttpResponse:
    grant = _grant(broker, grant_id)
    if request.method == "POST":
        delete_grant(grant=grant, actor=request.user)
        flash.success(
            request,
            _("The grant “%(name)s” is deleted; its users have lost this access.") % {"name": grant.name},
        )
        return redirect("staff:grants", broker_id=broker.pk)
    context = {"broker": broker, "grant": grant, "member_count": grant.members.count()}
    return render(request, "staff/grant_delete.html", context)
