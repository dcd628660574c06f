import datetime as dt

import pytest
from django.utils import timezone

from api import tokens
from api.models import Scope


def make_token(w, *, team=None, scopes=None, name="ChildView", actor=None):
    token, raw = tokens.token_create(
        actor=actor or w.team_admin,
        team=team or w.yot_a,
        name=name,
        scopes=scopes or list(Scope.values),
        expires_on=timezone.localdate() + dt.timedelta(days=30),
    )
    return token, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def api(world):
    """The world, with a token of Alpha YOT holding every scope (`api.auth`: its header)."""
    world.token, world.auth = make_token(world)
    return world
