"""An instructor's link opened first on a freshly started server (a Cloud container just woken)."""

import pytest

from tests.e2e.conftest import assert_no_exception, open_page, running_app

pytestmark = pytest.mark.e2e


def test_a_deep_link_is_the_first_request_of_a_fresh_server(page):
    with running_app("streamlit-deeplink.log") as url:
        open_page(page, url, "pooling?pool_size=3")
        assert_no_exception(page)
        # The router ran: the lesson header and the app's own navigation are there.
        assert page.get_by_text("Step 2 of 6").is_visible()
        assert page.get_by_role("link", name="Convolution").first.is_visible()
        assert page.get_by_role("link", name="app_pages").count() == 0
        # ...and the link's setting took effect.
        assert page.locator("code", has_text="MaxPooling2D((3, 3))").first.is_visible()
