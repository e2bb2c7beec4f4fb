"""Settings, tab Mitarbeiter (issue 7): the broker's staff with their roles — admin (configures), user
(works the inbox), none (a clerk record without a login). Admins add staff by e-mail (invited: a staff
role needs the person's yes, domain.md §3), change roles and remove staff; the broker always keeps an
administrator. The login column says what the person answered, never whether they have an account."""

from __future__ import annotations

from django.contrib import messages as flash
from django.db.models import Count, Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from einblick.accounts.consent import has_accepted as accepted_broker
from einblick.accounts.http import AuthenticatedRequest
from einblick.accounts.models import Invitation
from einblick.accounts.roles import has_accepted
from einblick.brokers.models import Broker, StaffMember, StaffRole
from einblick.errors import DomainError, texts, to_form
from einblick.office.brokers import add_staff, change_staff, remove_staff, resend_staff_invitation
from einblick.staff.access import settings_view
from einblick.staff.forms import StaffEditForm, StaffForm


def _people(broker: Broker) -> list[StaffMember]:
    return list(
        StaffMember.objects.filter(broker=broker)
        .annotate(
            accepted=has_accepted(),
            invited=Exists(Invitation.objects.filter(staff=OuterRef("pk"))),
            clerk_of=Count("grants", distinct=True),
        )
        .order_by("name", "pk")
    )


def _person(broker: Broker, pk: int) -> StaffMember:
    return get_object_or_404(StaffMember.objects.select_related("broker"), broker=broker, pk=pk)


@settings_view
def team(request: AuthenticatedRequest, broker: Broker, me: StaffMember) -> HttpResponse:
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = add_staff(broker=broker, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            to_form(form, exc)
        else:
            if person.role == "none":
                flash.success(request, _("The staff member is added (without a login)."))
            else:
                flash.success(request, _("The staff member is added and informed by e-mail."))
            return redirect("staff:team", broker_id=broker.pk)
    context = {"broker": broker, "people": _people(broker), "form": form, "me": me}
    return render(request, "staff/team.html", context, status=422 if form.errors else 200)


@settings_view
def team_member(request: AuthenticatedRequest, broker: Broker, me: StaffMember, pk: int) -> HttpResponse:
    person = _person(broker, pk)
    initial = {"name": person.name, "phone": person.phone, "role": person.role}
    form = StaffEditForm(request.POST or None, initial=initial)
    problem = ""
    if request.method == "POST" and request.POST.get("action") == "invite":
        form = StaffEditForm(initial=initial)
        try:
            resend_staff_invitation(staff=person, actor=request.user)
        except DomainError as exc:
            problem = " ".join(texts(exc))
        else:
            flash.success(request, _("The e-mail is sent again."))
            return redirect("staff:team_member", broker_id=broker.pk, pk=person.pk)
    elif request.method == "POST" and form.is_valid():
        try:
            change_staff(staff=person, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            to_form(form, exc)
        else:
            flash.success(request, _("Saved."))
            if person.pk == me.pk and form.cleaned_data["role"] != StaffRole.ADMIN:
                return redirect("staff:home")  # the settings are closed to them now
            return redirect("staff:team", broker_id=broker.pk)
    context = {
        "broker": broker,
        "person": person,
        "form": form,
        "accepted": accepted_broker(broker, person.email, staff=True),
        "invitation": Invitation.objects.filter(staff=person).first(),
        "grants": list(person.grants.order_by("name")),
        "problem": problem,
    }
    return render(request, "staff/team_member.html", context, status=422 if form.errors or problem else 200)


@settings_view
def team_member_delete(
    request: AuthenticatedRequest, broker: Broker, me: StaffMember, pk: int
) -> HttpResponse:
    person = _person(broker, pk)
    problem = ""
    if request.method == "POST":
        try:
            remove_staff(staff=person, actor=request.user)
        except DomainError as exc:
            problem = " ".join(texts(exc))
        else:
            flash.success(request, _("%(name)s is removed from the staff.") % {"name": person.name})
            if person.pk == me.pk:
                return redirect("staff:home")
            return redirect("staff:team", broker_id=broker.pk)
    context = {
        "broker": broker,
        "person": person,
        "grants": list(person.grants.order_by("name")),
        "problem": problem,
    }
    return render(request, "staff/team_member_delete.html", context, status=409 if problem else 200)
