"""Password reset (issue 19): the page only queues the request; a real worker looks the
address up and sends the link, so the answer is the same for any address."""

import re
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ecm.celery import app

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_worker(transactional_db):
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "tests need REDIS_URL"
    app.conf.broker_url = settings.CELERY_BROKER_URL
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


def wait_for_mail(count, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(mail.outbox) < count:
        time.sleep(0.1)
    return len(mail.outbox)


def test_reset_link_sent_by_the_worker_and_it_works(redis_worker, client, world, settings):
    settings.SITE_URL = "https://ecm.example.org"
    world.case_manager.email = "cerys@example.org"
    world.case_manager.save()

    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("account_reset_password"), {"email": "cerys@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    # The page never looks the address up: nothing to time.
    assert not [q for q in queries.captured_queries if '"ecm_user"' in q["sql"]]

    assert wait_for_mail(1) == 1
    message = mail.outbox[0]
    assert message.to == ["cerys@example.org"]
    link = re.search(r"https://ecm\.example\.org(/accounts/password/reset/key/\S+)", message.body)
    assert link, message.body

    page = client.get(link.group(1), follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link.group(1)
    done = client.post(
        form_url, {"password1": "another-long-passphrase", "password2": "another-long-passphrase"}
    )
    assert done.status_code == 302
    world.case_manager.refresh_from_db()
    assert world.case_manager.check_password("another-long-passphrase")


def test_unknown_address_same_answer_no_mail(redis_worker, client, world):
    world.case_manager.email = "cerys@example.org"
    world.case_manager.save()
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    known = client.post(reverse("account_reset_password"), {"email": "cerys@example.org"})
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    assert wait_for_mail(1) == 1
    time.sleep(1)
    assert [m.to for m in mail.outbox] == [["cerys@example.org"]]
