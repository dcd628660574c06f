from django.urls import path

from . import views
from .imports import views as imports

app_name = "referrals"

urlpatterns = [
    path("cases/<int:pk>/referral/", views.referral_edit, name="edit"),
    path("cases/<int:pk>/referral/autosave/", views.referral_autosave, name="autosave"),
    path("cases/<int:pk>/referral/ready/", views.referral_ready, name="ready"),
    path("cases/<int:pk>/referral/print/", views.referral_print, name="print"),
    path("cases/<int:pk>/referral/changes/", views.referral_changes, name="changes"),
    path("cases/<int:pk>/referral/assetplus/", views.assetplus_download, name="assetplus"),
    path("cases/<int:pk>/referral/check/", views.eligibility_check, name="check"),
    path("cases/<int:pk>/referral/viability/", views.viability, name="viability"),
    path("cases/<int:pk>/referral/priority/", views.set_priority, name="priority"),
    path("cases/<int:pk>/referral/offer-slot/", views.offer_slot, name="offer_slot"),
    path("cases/<int:pk>/consent/", views.consent, name="consent"),
    path("cases/<int:pk>/offences/", views.offences, name="offences"),
    path("cases/<int:pk>/consent/leaflet/", views.leaflet, name="leaflet"),
    path("referrals/queue/", views.decision_queue, name="queue"),
    path("referrals/waiting-list/", views.waiting_list, name="waiting_list"),
    path("imports/", imports.import_start, name="import_start"),
    path("imports/<uuid:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<uuid:pk>/confirm/", imports.import_confirm, name="import_confirm"),
    path("imports/<uuid:pk>/cancel/", imports.import_cancel, name="import_cancel"),
]
