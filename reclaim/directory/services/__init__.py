"""Every business rule and write of the directory, split by concept:

- `entries`: reading and editing services, organisations and capacity (the contract other apps
  use: `get_service`, `service_summary`);
- `hsds_io`: HSDS 3.0 import and export (JSON and CSV datapackage);
- `search`: full-text search, filters and distance;
- `service_matching`: matching a survivor's needs to services (the pure ranking is `matching`);
- `demo`: the synthetic directory of the demo network (`seed_directory`).
"""

from .demo import seed_directory
from .entries import (
    create_service,
    delete_service,
    get_organization,
    get_service,
    link_platform_organisation,
    list_organizations,
    may_edit_directory,
    may_update_capacity,
    service_summary,
    update_capacity,
    update_service,
)

__all__ = [
    "create_service",
    "delete_service",
    "get_organization",
    "get_service",
    "link_platform_organisation",
    "list_organizations",
    "may_edit_directory",
    "may_update_capacity",
    "seed_directory",
    "service_summary",
    "update_capacity",
    "update_service",
]
