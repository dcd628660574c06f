"""Form widgets users rely on."""

import datetime as dt

from ecm.forms import DateInput


def test_date_inputs_render_iso_dates_for_the_browser_picker(settings):
    settings.LANGUAGE_CODE = "en-gb"
    html = DateInput().render("d", dt.date(2026, 3, 9))
    assert 'type="date"' in html
    assert 'value="2026-03-09"' in html  # not 09/03/2026, which the picker shows as blank
