"""An org admin imports an HSDS directory, finds and edits an entry, and other directories read
the change through the HSDS API, in a real browser."""

from __future__ import annotations

import json
import re

import pytest

from tests.directory.test_hsds import EXAMPLES
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases="__all__")]


def test_import_find_edit_and_read_back_through_the_hsds_api(open_page, org_admin, tmp_path):
    from playwright.sync_api import expect

    example = json.loads((EXAMPLES / "service_full.json").read_text(encoding="utf-8"))
    broken = {"id": "not-a-uuid", "name": ""}
    upload = tmp_path / "partner-directory.json"
    upload.write_text(json.dumps([example, broken]), encoding="utf-8")

    page = open_page(org_admin, TEST_PASSWORD)
    page.goto("/directory/")
    page.get_by_role("link", name="Import HSDS").click()
    page.get_by_label("HSDS file").set_input_files(str(upload))
    page.get_by_role("button", name="Import").click()
    summary = page.locator("section.results")
    expect(summary.locator("tr", has_text="service")).to_contain_text("1")
    expect(summary).to_contain_text("1 rejected")
    expect(summary.locator(".error-list")).to_contain_text("record 2")

    # The imported service is found by a word of its description, and edited.
    page.goto("/directory/")
    page.get_by_label("Words").fill("counselling")
    page.get_by_label("Words").press("Enter")
    # The results replace the form's section (htmx) and then the address says the words:
    # clicking before that could hit a link of the page being replaced.
    expect(page).to_have_url(re.compile(r"[?&]q=counselling"))
    page.locator("#directory-search").get_by_role("link", name=example["name"]).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(example["name"])
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Description").fill("Counselling in English and Spanish, evenings too.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The service was saved.")).to_be_visible()

    # Other directories read the edit from the public HSDS API.
    answer = page.request.get(f"/hsds/services/{example['id']}")
    assert answer.status == 200
    document = answer.json()
    assert document["description"] == "Counselling in English and Spanish, evenings too."
    assert document["organization"]["id"] == example["organization"]["id"]
