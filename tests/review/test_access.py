"""Only the TA who started the app reaches it: the token once, then a strict cookie; writes from a page of
another site are refused."""

from __future__ import annotations

from pathlib import Path

from grader.manual.store import ManualStore
from grader.review.app import COOKIE, create_app
from tests.report.helpers import F20
from tests.review.helpers import TOKEN, client, results_folder, save


def test_without_the_token_every_page_is_forbidden(tmp_path: Path) -> None:
    out = results_folder(tmp_path / "out")
    anonymous = create_app(out, F20, grader="tess", token=TOKEN).test_client()
    for path in (
        "/",
        "/item/tf.1.1/alice",
        "/student/alice/tf.1.1",
        "/page/alice/1.png",
        "/static/review.js",
    ):
        assert anonymous.get(path).status_code == 403, path
    assert anonymous.get("/?token=wrong").status_code == 403
    assert save(anonymous, "alice", "tf.1.1", "2").status_code == 403
    assert not ManualStore(out).grades()


def test_the_token_sets_a_strict_http_only_cookie_and_leaves_the_address(tmp_path: Path) -> None:
    out = results_folder(tmp_path / "out")
    test_client = create_app(out, F20, grader="tess", token=TOKEN).test_client()
    response = test_client.get(f"/?token={TOKEN}")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}={TOKEN}") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = test_client.get("/")
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "grading as <strong>tess</strong>" in page.get_data(as_text=True)


def test_a_foreign_origin_cannot_write(tmp_path: Path) -> None:
    out = results_folder(tmp_path / "out")
    test_client = client(out)
    data = {"points": "2", "comment": "", "version": "0"}
    refused = test_client.post(
        "/grade/item/alice/tf.1.1", data=data, headers={"Origin": "http://evil.example"}
    )
    assert refused.status_code == 403
    assert (
        test_client.post("/grade/item/alice/tf.1.1", data=data, headers={"Origin": "null"}).status_code == 403
    )
    assert not ManualStore(out).grades()
    own = test_client.post("/grade/item/alice/tf.1.1", data=data, headers={"Origin": "http://localhost"})
    assert own.status_code == 302
    assert ManualStore(out).grade("alice", "tf.1.1").points == 2.0


def test_another_host_name_is_refused(tmp_path: Path) -> None:
    """A DNS name that an attacker points at 127.0.0.1 must not reach the app with the TA's cookie."""
    test_client = client(results_folder(tmp_path / "out"))
    assert test_client.get("/", headers={"Host": "evil.example:8000"}).status_code == 403


def test_after_a_save_the_app_goes_only_to_its_own_pages(tmp_path: Path) -> None:
    test_client = client(results_folder(tmp_path / "out"))
    for version, then in enumerate(("//evil.example/", "/\\evil.example/", "https://evil.example/")):
        data = {"points": "1", "comment": "", "version": str(version), "then": then}
        response = test_client.post("/grade/item/alice/tf.1.1", data=data)
        assert response.status_code == 302 and response.headers["Location"] == "/", then
