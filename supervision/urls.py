from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("supervision/", views.index, name="index"),
    path("supervision/export.csv", views.export, name="export"),
    path("supervision/offers/", views.offer, name="offer"),
    path("supervision/sessions/new/", views.session_new, name="session_new"),
    path("supervision/sessions/<int:pk>/", views.session_detail, name="session"),
    path("supervision/sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("supervision/sessions/<int:pk>/reflection/", views.reflection, name="reflection"),
    path("supervision/sessions/<int:pk>/summary/", views.decision_summary, name="summary"),
    path("supervision/sessions/<int:pk>/escalation/", views.escalation, name="escalation"),
]
