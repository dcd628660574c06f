"""The reference data users read, in Welsh and English (issue 23): the Trauma Recovery Model
frameworks and their stages are data, not code, so their words live in columns per language
(`name_en_gb`, `name_cy`, ...) kept by django-modeltranslation (as referrals/translation.py
does for the eligibility rule sets). An empty Welsh column shows the English."""

from modeltranslation.translator import TranslationOptions, register

from .trm.models import TRMFramework, TRMStage


@register(TRMFramework)
class TRMFrameworkTranslation(TranslationOptions):
    fields = ("name", "source", "description")


@register(TRMStage)
class TRMStageTranslation(TranslationOptions):
    fields = ("name", "presentation", "underlying_need", "interventions")
