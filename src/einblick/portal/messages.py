"""Messages in the portal (domain.md §5): the user's threads with the office, a new message, a thread
with its answers. Which threads a user sees is visibility.processes_q (shared_processes or their own);
writing needs the messages permission (§6), checked here and again in the service."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django import forms
from django.contrib import messages as flash
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from einblick.errors import DomainError, to_form
from einblick.grants import visibility
from einblick.grants.models import Grant
from einblick.portal.access import portal_form, portal_view
from einblick.portal.frame import frame
from einblick.portal.http import PortalRequest
from einblick.processes import files, services
from einblick.processes.models import Attachment, Process

FORM_TOKENS = "einblick_form_tokens"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe); checked by processes.files."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.heic,.heif,.pdf"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


FILES_HELP = gettext_lazy("Photos and documents: JPEG, PNG, HEIC or PDF, up to 20 files and 35 MB together.")


class MessageForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=services.MAX_SUBJECT)
    body = forms.CharField(
        label=gettext_lazy("Your message"),
        max_length=services.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    attachments = MultipleFileField(label=gettext_lazy("Attachments"), help_text=FILES_HELP)


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your answer"),
        max_length=services.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = MultipleFileField(label=gettext_lazy("Attachments"), help_text=FILES_HELP)


def _new_token(request: PortalRequest) -> str:
    """A one-time token per shown form: a form sent twice (double click, reload) is written once."""
    token = secrets.token_urlsafe(16)
    request.session[FORM_TOKENS] = [*request.session.get(FORM_TOKENS, [])[-19:], token]
    return token


def _use_token(request: PortalRequest) -> bool:
    """True once per token this session was given: the session says it was issued here, and an atomic
    add to the cache (a unique row, or Redis SET NX) lets only the first of two parallel requests
    through."""
    token = request.POST.get("token", "")
    tokens = request.session.get(FORM_TOKENS, [])
    if not token or token not in tokens:
        return False
    request.session[FORM_TOKENS] = [t for t in tokens if t != token]
    digest = hashlib.sha256(token.encode()).hexdigest()
    return bool(cache.add(f"einblick:form-token:{digest}", 1, timeout=7 * 24 * 3600))


def _email(request: PortalRequest) -> str | None:
    return None if request.preview else request.user.email


@portal_view
def thread_list(request: PortalRequest, grant: Grant) -> HttpResponse:
    threads = list(
        Process.objects.visible(grant, _email(request))
        .select_related("clerk")
        .order_by("-updated_at", "pk")[:200]
    )
    email = _email(request)
    unread = services.unread_for(threads, email) if email and threads else set()
    context = frame(
        request,
        grant,
        threads=threads,
        unread=unread,
        shared=grant.shared_processes,
        may_write=visibility.permissions(grant)["messages"],
    )
    return render(request, "portal/messages.html", context)


@portal_form
def message_new(request: PortalRequest, grant: Grant) -> HttpResponse:
    if not visibility.permissions(grant)["messages"]:
        raise PermissionDenied("This grant does not allow messages.")
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if not _use_token(request):
            flash.info(request, _("This message has been sent already."))
            return redirect("portal:messages", grant_id=grant.pk)
        try:
            process = services.start_message(
                grant=grant,
                user=request.user,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                uploads=form.cleaned_data["attachments"],
            )
        except DomainError as exc:
            to_form(form, exc)
        else:
            flash.success(request, _("Your message has been sent."))
            return redirect("portal:thread", grant_id=grant.pk, process_id=process.pk)
    return render(
        request, "portal/message_new.html", frame(request, grant, form=form, token=_new_token(request))
    )


@portal_form
def thread(request: PortalRequest, grant: Grant, process_id: str) -> HttpResponse:
    process: Process = get_object_or_404(
        Process.objects.visible(grant, _email(request)).select_related("clerk"), pk=process_id
    )
    may_write = visibility.permissions(grant)["messages"] and process.state != "closed"
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not visibility.permissions(grant)["messages"]:
            raise PermissionDenied("This grant does not allow messages.")
        if form.is_valid():
            if not _use_token(request):
                flash.info(request, _("This answer has been sent already."))
                return redirect("portal:thread", grant_id=grant.pk, process_id=process.pk)
            try:
                services.reply_as_user(
                    process=process,
                    grant=grant,
                    user=request.user,
                    body=form.cleaned_data["body"],
                    uploads=form.cleaned_data["attachments"],
                )
            except DomainError as exc:
                to_form(form, exc)
            else:
                flash.success(request, _("Your answer has been sent."))
                return redirect("portal:thread", grant_id=grant.pk, process_id=process.pk)
    email = _email(request)
    if email:
        services.mark_read(process, email)
    context = frame(
        request,
        grant,
        process=process,
        thread_messages=list(process.messages.prefetch_related("attachments")),
        form=form,
        may_write=may_write,
        token=_new_token(request) if may_write else "",
    )
    return render(request, "portal/thread.html", context)


@portal_view
def attachment(request: PortalRequest, grant: Grant, process_id: str, attachment_id: int) -> FileResponse:
    """A file of a thread the user sees, as a download (never shown inline)."""
    process = get_object_or_404(Process.objects.visible(grant, _email(request)), pk=process_id)
    item = get_object_or_404(Attachment, pk=attachment_id, message__process=process)
    return files.download(item)
