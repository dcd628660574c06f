"""The child's life timeline and the case information summary (they belong to the child,
so a re-opened case keeps them; dated summary entries appear on the timeline)."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import dateformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ecm.models import Child, choice_label


class Category(models.TextChoices):
    FAMILY = "family", _("Family")
    EDUCATION = "education", _("Education")
    HEALTH = "health", _("Health")
    SOCIAL_CARE = "social_care", _("Social care")
    OFFENDING = "offending", _("Offending")
    ACCOMMODATION = "accommodation", _("Accommodation")
    RELATIONSHIPS = "relationships", _("Relationships")
    LOSS = "loss", _("Loss and bereavement")
    INTERVENTIONS = "interventions", _("Interventions")
    OTHER = "other", _("Other")


class Precision(models.TextChoices):
    DAY = "day", _("Exact day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")
    APPROX = "approx", _("Approximate")


class TimelineEvent(models.Model):
    """An event of the child's life timeline. Belongs to the child, so a re-opened case
    carries its timeline over. Events made from case-summary entries point to their source
    and are edited there (no double entry)."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="timeline")
    title = models.CharField(_("event"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    start_date = models.DateField(_("date"))
    precision = models.CharField(
        _("date known to"), max_length=10, choices=Precision.choices, default=Precision.DAY
    )
    end_date = models.DateField(_("end date (for a period)"), null=True, blank=True)
    shared_by = models.CharField(_("shared by"), max_length=150, blank=True)
    sensitive = models.BooleanField(_("sensitive"), default=False)
    source_item = models.OneToOneField(
        "SummaryItem",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="timeline_event",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["start_date", "pk"]
        indexes = [models.Index(fields=["child", "start_date"], name="timeline_child_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="timeline_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_category_display(self) -> str:
        return choice_label(Category, self.category)

    @property
    def date_label(self) -> str:
        """The date as known: "2016", "Jun 2016" or "5 Jun 2016", "c. " when approximate,
        and the end month of a period."""
        if self.precision == Precision.YEAR:
            shown = dateformat.format(self.start_date, "Y")
        elif self.precision == Precision.MONTH:
            shown = dateformat.format(self.start_date, "M Y")
        else:
            shown = dateformat.format(self.start_date, "j M Y")
        if self.precision == Precision.APPROX:
            shown = gettext("c. %(date)s") % {"date": shown}
        if self.end_date:
            shown += " – " + dateformat.format(self.end_date, "M Y")
        return shown


class SummaryItem(models.Model):
    """An entry of the case information summary (Appendix 2). Dated entries appear on the
    timeline automatically."""

    class Kind(models.TextChoices):
        ORDER_CONDITION = "order_condition", _("Order condition")
        SIGNIFICANT_EVENT = "significant_event", _("Significant event")
        ACCOMMODATION = "accommodation", _("Accommodation move")
        SCHOOL = "school", _("School")
        PROFESSIONAL = "professional", _("Professional involved")
        STRENGTH = "strength", _("Strength")
        PARENTAL = "parental", _("Parental information")

    #: The timeline category of the event a dated entry makes.
    TIMELINE_CATEGORY = {
        Kind.ORDER_CONDITION: Category.INTERVENTIONS,
        Kind.SIGNIFICANT_EVENT: Category.FAMILY,
        Kind.ACCOMMODATION: Category.ACCOMMODATION,
        Kind.SCHOOL: Category.EDUCATION,
        Kind.PROFESSIONAL: Category.INTERVENTIONS,
        Kind.STRENGTH: Category.OTHER,
        Kind.PARENTAL: Category.FAMILY,
    }

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="summary_items")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("entry"), max_length=200)
    #: The category of the timeline event a dated entry makes: chosen at entry (suggested
    #: from the kind and the words when left blank, see `suggest_category`), changeable later.
    category = models.CharField(
        _("timeline category"), max_length=20, choices=Category.choices, blank=True
    )
    detail = models.TextField(_("detail"), blank=True)
    start_date = models.DateField(_("from"), null=True, blank=True)
    end_date = models.DateField(_("until"), null=True, blank=True)
    precision = models.CharField(
        _("date known to"), max_length=10, choices=Precision.choices, default=Precision.DAY
    )
    engagement = models.CharField(_("engagement (schools)"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind", "start_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=False) & Q(end_date__gte=models.F("start_date")),
                name="summary_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def timeline_category(self) -> str:
        return self.category or suggest_category(self.kind, self.title, self.detail)


#: Words that say what kind of significant event an entry is, tried in this order (English;
#: the suggestion is only a default the person entering can change).
_CATEGORY_WORDS = (
    (
        Category.LOSS,
        r"\bbereave\w*|\bdie[ds]\b|\bdeaths?\b|passed away|\bfuneral|\bkilled\b|suicide"
        r"|miscarriage|stillb\w*",
    ),
    (
        Category.SOCIAL_CARE,
        r"looked[- ]after|\bcare\b|foster\w*|child protection|\bcp\b|\bcpp\b|protection plan"
        r"|social (?:services|worker|care)|child in need|\bcin\b|section 20|\bs\.? ?20\b"
        r"|safeguarding|children'?s home|residential",
    ),
)
#: The kinds whose entries are guessed from their words (the others have one category).
_GUESSED_KINDS = (SummaryItem.Kind.SIGNIFICANT_EVENT, SummaryItem.Kind.PARENTAL)


def suggest_category(kind: str, title: str, detail: str = "") -> str:
    """The timeline category suggested for a case-summary entry: for significant events and
    parental information, loss or social care when the words say so (bereavement, died;
    looked after, care, child protection), else the kind's own category (family)."""
    default = SummaryItem.TIMELINE_CATEGORY.get(kind, Category.OTHER)
    if kind in _GUESSED_KINDS:
        words = f"{title} {detail}".lower()
        for category, pattern in _CATEGORY_WORDS:
            if re.search(pattern, words):
                return category
    return default
