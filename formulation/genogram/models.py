"""The child's genogram: family members and their partnerships (they belong to the child,
so a re-opened case keeps them)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ecm.dates import display_date
from ecm.models import Child


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Not known")


class FamilyMember(models.Model):
    """A person in the child's genogram. Belongs to the child, so a re-opened case keeps it."""

    class Relationship(models.TextChoices):
        SELF = "self", _("The child")
        MOTHER = "mother", _("Mother")
        FATHER = "father", _("Father")
        STEP_PARENT = "step_parent", _("Step-parent / parent's partner")
        SIBLING = "sibling", _("Sibling")
        HALF_SIBLING = "half_sibling", _("Half-sibling")
        STEP_SIBLING = "step_sibling", _("Step-sibling")
        GRANDPARENT = "grandparent", _("Grandparent")
        AUNT_UNCLE = "aunt_uncle", _("Aunt / uncle")
        COUSIN = "cousin", _("Cousin")
        CHILD = "child", _("The child's own child")
        CARER = "carer", _("Carer (not family)")
        OTHER = "other", _("Other")

    #: Where each relationship sits in the drawing: 0 the child's generation, -1 parents...
    GENERATION = {
        Relationship.SELF: 0,
        Relationship.MOTHER: -1,
        Relationship.FATHER: -1,
        Relationship.STEP_PARENT: -1,
        Relationship.SIBLING: 0,
        Relationship.HALF_SIBLING: 0,
        Relationship.STEP_SIBLING: 0,
        Relationship.GRANDPARENT: -2,
        Relationship.AUNT_UNCLE: -1,
        Relationship.COUSIN: 0,
        Relationship.CHILD: 1,
        Relationship.CARER: -1,
        Relationship.OTHER: 0,
    }

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="family")
    name = models.CharField(_("name"), max_length=150)
    relationship = models.CharField(
        _("relationship to the child"), max_length=20, choices=Relationship.choices
    )
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    year_of_birth = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    deceased = models.BooleanField(_("deceased"), default=False)
    lives_with_child = models.BooleanField(_("lives with the child"), default=False)
    mental_health = models.BooleanField(_("mental health"), default=False)
    substance_misuse = models.BooleanField(_("substance misuse"), default=False)
    imprisonment = models.BooleanField(_("imprisonment"), default=False)
    domestic_abuse = models.BooleanField(_("domestic abuse"), default=False)
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    mother = models.ForeignKey(
        "self",
        verbose_name=_("mother"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    father = models.ForeignKey(
        "self",
        verbose_name=_("father"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("family member")
        verbose_name_plural = _("family members")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name

    #: What the genogram notes about a person, where it applies (their labels are shown).
    CONCERNS = ("mental_health", "substance_misuse", "imprisonment", "domestic_abuse")

    @property
    def concerns(self) -> list[str]:
        """The labels of the concerns that apply to this person."""
        return [
            str(self._meta.get_field(name).verbose_name)
            for name in self.CONCERNS
            if getattr(self, name)
        ]

    @property
    def is_index(self) -> bool:
        """The child the case is about (the genogram's index person)."""
        return self.relationship == self.Relationship.SELF

    @property
    def birth_label(self) -> str:
        """ "b. 03/05/2011" or "b. 2011" (under the person in the drawing)."""
        if self.date_of_birth:
            return _("b. %(born)s") % {"born": display_date(self.date_of_birth)}
        if self.year_of_birth:
            return _("b. %(born)s") % {"born": self.year_of_birth}
        return ""


class Partnership(models.Model):
    class Status(models.TextChoices):
        TOGETHER = "together", _("Together")
        SEPARATED = "separated", _("Separated")
        DIVORCED = "divorced", _("Divorced")
        ENDED_BY_DEATH = "ended_by_death", _("Ended by death")

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="partnerships")
    a = models.ForeignKey(FamilyMember, on_delete=models.CASCADE, related_name="+")
    b = models.ForeignKey(FamilyMember, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.TOGETHER
    )
    start_year = models.PositiveSmallIntegerField(_("from (year)"), null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(_("until (year)"), null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(a=models.F("b")), name="partnership_two_people")
        ]

    def __str__(self) -> str:
        return f"{self.a} – {self.b}"
