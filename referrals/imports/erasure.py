"""The import's part of erasing a child (`ecm.erasure`). No import row names a child (they
hold counts only), but an uploaded file waiting for its preview to be confirmed may: every
such file of the child's teams that holds the child's YOT reference is deleted and its
import abandoned (the uploader uploads it again, without the child)."""

from __future__ import annotations

from ecm.erasure import delete_file_on_commit

from ..models import ChildImport


def erase(child, cases) -> dict[str, int]:
    reference = child.yot_reference.encode()
    waiting = ChildImport.objects.filter(
        team_id__in={case.team_id for case in cases}, status=ChildImport.Status.PREVIEW
    ).exclude(file="")
    abandoned = 0
    for job in waiting:
        with job.file.open("rb") as handle:
            if reference not in handle.read():
                continue
        delete_file_on_commit(job.file)
        ChildImport.objects.filter(pk=job.pk).update(
            file="", status=ChildImport.Status.CANCELLED, stage="Abandoned"
        )
        abandoned += 1
    return {"import_files": abandoned}


def register() -> None:
    from ecm.erasure import register_eraser

    register_eraser("referrals.imports", erase, 11)
