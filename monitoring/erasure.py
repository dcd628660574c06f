"""The monitoring app's part of erasing a child (`ecm.erasure`): subject access requests are
a copy of the child's whole record (and name third parties), so they go, with their
bundles on disk (removed once the step commits). The audit rows about them stay, as every
audit row does (pseudonymised by the audit log's own procedure)."""

from __future__ import annotations

from ecm.erasure import delete_file_on_commit

from .subject_access.models import RedactionItem, SubjectAccessRequest


def erase(child, cases) -> dict[str, int]:
    requests = SubjectAccessRequest.objects.filter(child=child)
    files = sum(delete_file_on_commit(sar.bundle) for sar in requests.exclude(bundle=""))
    items, _x = RedactionItem.objects.filter(request__in=requests).delete()
    count = requests.count()
    requests.delete()
    return {
        "subject_access_bundles": files,
        "subject_access_requests": count,
        "subject_access_items": items,
    }


def register() -> None:
    from ecm.erasure import register_eraser

    register_eraser("subject_access", erase, 50)
