"""Directory entries for tests: providers, services with types, languages and a location."""

from __future__ import annotations

from typing import Any

import factory

from reclaim.directory.models import (
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceType,
)
from reclaim.directory.services.entries import refresh_search_document
from reclaim.directory.services.match_rows import refresh_match_rows


class DirectoryOrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Provider {n}")
    description = "A provider in the network."


def make_service(
    *,
    name: str = "Safe House",
    organization: Organization | None = None,
    types: tuple[str, ...] = ("safe_housing",),
    languages: tuple[str, ...] = ("en",),
    latitude: float | None = None,
    longitude: float | None = None,
    **fields: Any,
) -> Service:
    """A service as an import would leave it: types, languages, optional location, indexed."""
    organization = organization or DirectoryOrganizationFactory()
    service = Service.objects.create(name=name, organization=organization, **fields)
    ServiceType.objects.bulk_create(ServiceType(service=service, code=code) for code in types)
    ServiceLanguage.objects.bulk_create(
        ServiceLanguage(service=service, code=code) for code in languages
    )
    if latitude is not None and longitude is not None:
        location = Location.objects.create(
            name=f"{name} site", organization=organization, latitude=latitude, longitude=longitude
        )
        ServiceAtLocation.objects.create(service=service, location=location)
    refresh_search_document(service)
    refresh_match_rows([service.pk])
    return service
