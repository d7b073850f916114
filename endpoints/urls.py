"""Routes of every endpoint SparkLayer (and a platform's install flow) calls."""

from django.urls import path

urlpatterns: list = []
