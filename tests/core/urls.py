"""Routes used only by the core tests: a protected Ignite-style API view and views that fail."""

from django.urls import include, path
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class ProbeApi(APIView):
    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        quantity = serializers.IntegerField(min_value=1)

    def get(self, request: Request) -> Response:
        return Response({"caller_token_index": request.user.token_index})

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data, status=201)


class BrokenApi(APIView):
    def get(self, request: Request) -> Response:
        raise RuntimeError("secret internals: do not show me")


def broken_plain_view(request):  # type: ignore[no-untyped-def]
    raise ValueError("plain django view exploded")


urlpatterns = [
    path("v1/test/probe", ProbeApi.as_view()),
    path("v1/test/broken", BrokenApi.as_view()),
    path("v1/test/plain-broken", broken_plain_view),
    path("", include("ignite_bridge.urls")),
]
