"""The project's URLs with the review pages added to the cases namespace, as cases/urls.py is asked to."""

from django.urls import include, path

from caseqa import urls as project
from cases import urls as cases_urls
from cases import views_reviews

urlpatterns = [
    path("", include((cases_urls.urlpatterns + views_reviews.urlpatterns, "cases"), namespace="cases")),
    *[p for p in project.urlpatterns if getattr(p, "namespace", None) != "cases"],
]
