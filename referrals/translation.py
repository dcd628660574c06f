"""The reference data users read, in Welsh and English (issue 23): eligibility rule sets and
their criteria are data, not code, so their words live in columns per language
(`name_en_gb`, `name_cy`, ...) kept by django-modeltranslation. A field read in Welsh with
its Welsh column empty shows the English (MODELTRANSLATION_FALLBACK_LANGUAGES)."""

from modeltranslation.translator import TranslationOptions, register

from .models import Criterion, RuleSet


@register(RuleSet)
class RuleSetTranslation(TranslationOptions):
    fields = ("name", "source", "description")


@register(Criterion)
class CriterionTranslation(TranslationOptions):
    fields = ("text",)
