"""The review pages' forms as a user meets them: every control labelled, ids used once,
errors said at the field they belong to, an action's status changed from its row, and the
baseline survey read by its answers' names."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from referrals.models import Offence
from reviews import selectors, services
from reviews.models import Action, OutcomeDomain, Review, TRMStageRecord
from tests.ecm import pages


@pytest.fixture
def actions(world, formulated):
    today = timezone.localdate()
    return [
        services.action_add(
            actor=world.case_manager,
            case=formulated,
            data={"description": text, "owner_user": world.case_manager, "due_on": today + delta},
        )
        for text, delta in (
            ("Book the speech and language screen", dt.timedelta(days=-3)),
            ("Agree the boxing club transport", dt.timedelta(days=10)),
        )
    ]


@pytest.mark.parametrize("name", ["overview", "review_new", "close", "baseline", "contacts"])
def test_review_pages_label_every_control(client, world, actions, name):
    client.force_login(world.case_manager)
    response = client.get(reverse(f"reviews:{name}", args=[actions[0].case_id]))
    assert response.status_code == 200
    pages.assert_accessible_form_page(response.content.decode())


def test_each_action_row_changes_its_own_status(client, world, actions):
    client.force_login(world.case_manager)
    body = client.get(reverse("reviews:overview", args=[actions[0].case_id])).content.decode()
    root = pages.parse(body)
    for action in actions:
        url = reverse("reviews:action_status", args=[action.pk])
        (form,) = [f for f in root.iter("form") if f.attrs.get("action") == url]
        (select,) = form.iter("select")
        assert select.attrs["name"] == "status"
        # The label is for screen readers (the row and column headers show it).
        assert pages.label_of(root, select) == f"Status of {action.description}*"
        chosen = [o.attrs["value"] for o in select.iter("option") if "selected" in o.attrs]
        assert chosen == [Action.Status.OPEN]
    client.post(reverse("reviews:action_status", args=[actions[0].pk]), {"status": "done"})
    actions[0].refresh_from_db()
    assert actions[0].status == "done"


def test_closure_errors_are_said_at_each_field(client, world, formulated):
    client.force_login(world.case_manager)
    response = client.post(
        reverse("reviews:close", args=[formulated.pk]), {"version": formulated.version}
    )
    assert response.status_code == 400
    body = response.content.decode()
    invalid = pages.invalid_controls(body)
    for domain in OutcomeDomain.values:
        assert invalid[f"change_{domain}"].startswith("Choose the "), domain
        assert invalid[f"concern_{domain}"].startswith("Choose "), domain
    assert invalid["reason"].startswith("Choose ")
    pages.assert_accessible_form_page(body)
    formulated.refresh_from_db()
    assert formulated.status == "active"


def test_baseline_is_read_by_its_answers_for_those_who_may_not_rate(client, world, formulated):
    ratings = {f"concern_{d}": "medium" for d in OutcomeDomain.values}
    client.force_login(world.case_manager)
    assert (
        client.post(reverse("reviews:baseline", args=[formulated.pk]), ratings).status_code == 302
    )
    client.force_login(world.psychologist)
    body = client.get(reverse("reviews:baseline", args=[formulated.pk])).content.decode()
    assert pages.controls(body) == []  # nothing to fill in
    rows = pages.table_rows(body, caption="Outcome survey at formulation")
    assert len(rows) == len(OutcomeDomain.values)
    assert {answer for _domain, answer in rows} == {"Medium"}


# --- The review form: several offences, new recommendations, the TRM stage ---


def review_post(case, **extra):
    today = timezone.localdate()
    post = {
        "kind": "scheduled",
        "held_on": today.isoformat(),
        "reoffended": "no",
        "breach": "no",
        "next_review_on": (today + dt.timedelta(weeks=6)).isoformat(),
        "offences-TOTAL_FORMS": "0",
        "offences-INITIAL_FORMS": "0",
        "recommendations-TOTAL_FORMS": "0",
        "recommendations-INITIAL_FORMS": "0",
    }
    for rec in case.recommendations.all():
        post[f"progress_{rec.pk}"] = "in_progress"
    post.update(extra)
    return post


def offence_rows(*rows, initial=0):
    post = {"offences-TOTAL_FORMS": str(len(rows)), "offences-INITIAL_FORMS": str(initial)}
    for i, row in enumerate(rows):
        post.update({f"offences-{i}-{k}": v for k, v in row.items()})
    return post


def test_a_review_form_records_two_offences_and_a_new_recommendation(client, world, formulated):
    client.force_login(world.senior)
    url = reverse("reviews:review_new", args=[formulated.pk])
    body = client.get(url).content.decode()
    root = pages.parse(body)
    labels = {pages.label_of(root, c) for c in pages.controls(body)}
    assert {"Offence 1: type", "Offence 1: date", "Offence 1: gravity (1-8)"} <= labels
    assert "Offence 1: outcome (disposal)" in labels
    day = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    post = review_post(
        formulated,
        reoffended="yes",
        **offence_rows(
            {"offence_type": "Theft", "date": day, "gravity": "3", "disposal": "YRO"},
            {"offence_type": "Assault", "date": day, "gravity": "5", "disposal": ""},
        ),
        **{
            "recommendations-TOTAL_FORMS": "1",
            "recommendations-0-intervention": "Boxing club",
            "recommendations-0-owner_agency": "other",
        },
    )
    response = client.post(url, post)
    assert response.status_code == 302, pages.invalid_controls(response.content.decode())
    review = Review.objects.get()
    assert sorted(o.offence_type for o in selectors.review_offences(review)) == ["Assault", "Theft"]
    assert Offence.objects.filter(case=formulated).count() == 2
    (proposal,) = selectors.review_proposals(review)
    assert proposal.intervention == "Boxing club"
    page = client.get(reverse("reviews:review", args=[review.pk])).content.decode()
    rows = pages.table_rows(page, caption="Offences since the last meeting")
    assert [r[1:] for r in rows] == [["Theft", "3", "YRO"], ["Assault", "5", "—"]]
    assert "Proposed at review: waiting for the psychologist" in page
    assert "Confirm into the formulation" not in page  # the senior cannot confirm
    # Editing: the saved offences come back as rows, each with its remove box.
    edit = client.get(reverse("reviews:review_edit", args=[review.pk])).content.decode()
    root = pages.parse(edit)
    labels = {pages.label_of(root, c) for c in pages.controls(edit)}
    assert {"Remove offence 1", "Remove offence 2", "Remove new recommendation 1"} <= labels
    pages.assert_accessible_form_page(edit)


def test_an_offence_row_half_filled_is_said_at_its_field(client, world, formulated):
    client.force_login(world.senior)
    url = reverse("reviews:review_new", args=[formulated.pk])
    post = review_post(
        formulated, reoffended="yes", **offence_rows({"offence_type": "Theft", "date": ""})
    )
    response = client.post(url, post)
    assert response.status_code == 400
    body = response.content.decode()
    invalid = pages.invalid_controls(body)
    assert "Give the date of the offence" in invalid["offences-0-date"]
    assert "gravity" in invalid["offences-0-gravity"]
    assert 'value="Theft"' in body  # kept
    # "Yes" with no offence at all is said at the question.
    response = client.post(url, review_post(formulated, reoffended="yes"))
    assert "Give each offence" in pages.invalid_controls(response.content.decode())["reoffended"]
    assert not Review.objects.exists()


def test_another_row_comes_without_touching_what_was_typed(client, world, formulated):
    client.force_login(world.senior)
    url = reverse("reviews:review_form_row", args=[formulated.pk, "offences"])
    # htmx: the row and the new row count (out of band).
    body = client.get(url, {"offences-TOTAL_FORMS": "2"}).content.decode()
    root = pages.parse(body)
    names = {c.attrs.get("name") for c in root.iter("input")}
    assert {"offences-2-offence_type", "offences-2-date", "offences-2-gravity"} <= names
    (total,) = [c for c in root.iter("input") if c.attrs.get("name") == "offences-TOTAL_FORMS"]
    assert (total.attrs["value"], total.attrs["hx-swap-oob"]) == ("3", "true")
    assert "Offence 3: type" in {pages.label_of(root, c) for c in pages.controls(body)}
    rec = client.get(
        reverse("reviews:review_form_row", args=[formulated.pk, "recommendations"]),
        {"recommendations-TOTAL_FORMS": "0"},
    ).content.decode()
    assert 'name="recommendations-0-owner_user"' in rec
    # Without JavaScript the button posts the form: it comes back as typed, one row more,
    # no errors, nothing saved.
    post = review_post(
        formulated,
        reoffended="yes",
        discussion="Typed before adding a row",
        add_row="offences",
        **offence_rows({"offence_type": "Theft"}),
    )
    response = client.post(reverse("reviews:review_new", args=[formulated.pk]), post)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Typed before adding a row" in body and 'value="Theft"' in body
    assert 'name="offences-1-offence_type"' in body
    assert pages.invalid_controls(body) == {}
    assert not Review.objects.exists()


@pytest.mark.parametrize("who", ["other_senior", "outsider", "manager"])
def test_rows_are_for_those_who_record_the_review(client, world, formulated, who):
    client.force_login(getattr(world, who))
    url = reverse("reviews:review_form_row", args=[formulated.pk, "offences"])
    assert client.get(url, {"offences-TOTAL_FORMS": "1"}).status_code == 404


def test_the_trm_stage_now_is_the_psychologists_part_of_the_form(client, world, formulated):
    from formulation.models import TRMFramework

    stage_2 = TRMFramework.objects.get(code="practice-stages").stages.get(number=2)
    url = reverse("reviews:review_new", args=[formulated.pk])
    client.force_login(world.case_manager)
    body = client.get(url).content.decode()
    assert "trm_stage" not in {c.attrs.get("name") for c in pages.controls(body)}
    assert "Only the psychologist records the TRM stage now." in body
    stage_3 = TRMFramework.objects.get(code="practice-stages").stages.get(number=3)
    assert str(stage_3) in pages.text(body)  # at formulation, read-only
    # A case manager's post of the field is not taken.
    post = review_post(formulated, trm_stage=str(stage_2.pk), trm_explanation="x")
    assert client.post(url, post).status_code == 302
    assert not TRMStageRecord.objects.exists()
    client.force_login(world.psychologist)
    body = client.get(url).content.decode()
    assert "trm_stage" in {c.attrs.get("name") for c in pages.controls(body)}
    pages.assert_accessible_form_page(body)
    response = client.post(url, review_post(formulated, trm_stage=str(stage_2.pk)))
    assert response.status_code == 400
    assert (
        "say what explains it"
        in pages.invalid_controls(response.content.decode())["trm_explanation"]
    )
    post = review_post(formulated, trm_stage=str(stage_2.pk), trm_explanation="Moved placement")
    assert client.post(url, post).status_code == 302
    record = TRMStageRecord.objects.get()
    assert (record.stage, record.explanation) == (stage_2, "Moved placement")


def test_the_psychologist_confirms_a_proposal_from_the_review_page(client, world, formulated):
    review = services.review_save(
        actor=world.senior,
        case=formulated,
        data={
            "kind": "scheduled",
            "held_on": timezone.localdate(),
            "reoffended": False,
            "breach": False,
            "next_review_on": timezone.localdate() + dt.timedelta(weeks=6),
        },
        progress={r.pk: ("in_progress", "") for r in formulated.recommendations.all()},
        new_recommendations=[{"intervention": "Boxing club", "owner_agency": "other"}],
    )
    (proposal,) = selectors.review_proposals(review)
    confirm = reverse("reviews:review_recommendation_confirm", args=[proposal.pk])
    client.force_login(world.case_manager)
    assert client.post(confirm).status_code == 403
    client.force_login(world.other_senior)
    assert client.post(confirm).status_code == 404
    client.force_login(world.psychologist)
    overview = reverse("reviews:overview", args=[formulated.pk])
    waiting = "New recommendations proposed at reviews, waiting for the psychologist"
    body = client.get(overview).content.decode()
    assert waiting in body and "Boxing club" in body
    page = client.get(reverse("reviews:review", args=[review.pk])).content.decode()
    assert confirm in page and "Confirm into the formulation" in page
    response = client.post(confirm, follow=True)
    assert "Recommendation 3 is in the formulation" in response.content.decode()
    assert formulated.recommendations.filter(intervention="Boxing club").exists()
    page = client.get(reverse("reviews:review", args=[review.pk])).content.decode()
    assert confirm not in page and "(recommendation 3)" in page
    assert waiting not in client.get(overview).content.decode()
