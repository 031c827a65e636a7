"""The review app in real headless Chromium, driven by the keyboard only: a TA grades three items of two
students with digits, Enter and j/k, the grades survive a reload, and the gradebook, the results and the
reports show them; the browser's console stays free of errors (no script error, no blocked load)."""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.commands.review import review_server
from grader.manual.store import ManualStore
from grader.records import read_result
from tests.review.helpers import results_folder

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = [
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs /usr/bin/chromium and /usr/bin/chromedriver (Debian: apt-get install chromium "
        "chromium-driver)",
    ),
    pytest.mark.slow,
]
webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is not installed (pip install selenium)"
)


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    out = results_folder(tmp_path / "out", ("alice", "bob"))
    server, address = review_server(out, "ece590-hw2-f20", port=0, grader="tess")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield out, address
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def driver() -> Iterator[object]:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield browser
    finally:
        browser.quit()


def test_a_ta_grades_with_the_keyboard_only(app_url: tuple[Path, str], driver, tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    out, address = app_url
    base = address.split("/?", 1)[0]

    def keys(*typed: str, then: str | None = None) -> None:
        ActionChains(driver).send_keys(*typed).perform()
        if then is not None:
            WebDriverWait(driver, 15).until(expected_conditions.url_to_be(base + then))

    driver.get(address)  # the token once: the app sets its cookie and drops the token from the address
    assert driver.current_url == base + "/"
    assert "0 of 44 graded" in driver.find_element(By.ID, "progress").text
    driver.get(base + "/item/tf.1.1/alice")
    keys("c", "clear and right", Keys.ESCAPE, "2", Keys.ENTER, then="/item/tf.1.1/bob")
    keys("1", ".", "5", Keys.ENTER, then="/item/tf.1.2/alice")
    keys("0", Keys.ENTER, then="/item/tf.1.2/bob")
    keys("2", Keys.ENTER, then="/item/tf.1.3/alice")
    keys("j", then="/item/tf.1.3/bob")
    keys("1", Keys.ENTER, then="/item/tf.1.4/alice")
    keys("k", then="/item/tf.1.3/bob")
    keys("k", then="/item/tf.1.3/alice")
    keys("2", Keys.ENTER, then="/item/tf.1.3/bob")

    driver.refresh()
    assert driver.find_element(By.ID, "points").get_attribute("value") == "1"
    driver.get(base + "/item/tf.1.1/alice")
    assert driver.find_element(By.ID, "points").get_attribute("value") == "2"
    assert driver.find_element(By.ID, "comment").get_attribute("value") == "clear and right"
    assert "graded by tess: 2 of 2" in driver.find_element(By.ID, "current").text
    driver.get(base + "/")
    assert "6 of 44 graded" in driver.find_element(By.ID, "progress").text
    driver.save_screenshot(str(tmp_path / "overview.png"))
    driver.get(base + "/item/tf.1.1/bob")
    driver.save_screenshot(str(tmp_path / "grading.png"))
    assert (tmp_path / "grading.png").stat().st_size > 10_000

    expected = {
        "alice": {"tf.1.1": 2, "tf.1.2": 0, "tf.1.3": 2},
        "bob": {"tf.1.1": 1.5, "tf.1.2": 2, "tf.1.3": 1},
    }
    rows = {row["submission_id"]: row for row in csv.DictReader((out / "gradebook.csv").open())}
    for sid, grades in expected.items():
        result = read_result(out / sid / "result.json")
        points = {check.id: check.points for check in result.checks}
        assert {item: points[item] for item in grades} == grades
        assert {item: float(rows[sid][item]) for item in grades} == grades
        assert float(rows[sid]["total"]) == result.score
        report = (out / sid / "report.html").read_text()
        for item, given in grades.items():
            assert f"graded by tess: {given:g} of 2" in report, (sid, item)
    assert "clear and right" in (out / "alice/report.html").read_text()

    ManualStore(out).add_rubric_comment("tf.1.4", "True: eps bounds the step", 2.0, "tess")
    driver.get(base + "/item/tf.1.4/alice")
    driver.find_element(By.CSS_SELECTOR, "button.rubric-comment").click()  # fills the points and comment
    assert driver.find_element(By.ID, "points").get_attribute("value") == "2"
    assert driver.find_element(By.ID, "comment").get_attribute("value") == "True: eps bounds the step"
    driver.find_element(By.TAG_NAME, "h1").click()  # focus off the button: Enter saves
    keys(Keys.ENTER, then="/item/tf.1.4/bob")
    assert ManualStore(out).grade("alice", "tf.1.4").comment == "True: eps bounds the step"

    driver.get(base + "/student/bob/lab1.a")  # by student: Enter goes on to the student's next item
    keys("1", Keys.ENTER, then="/student/bob/lab1.b.report")
    keys("k", then="/student/bob/lab1.a")
    assert driver.find_element(By.ID, "points").get_attribute("value") == "1"
    keys("j", then="/student/bob/lab1.b.report")
    assert ManualStore(out).grade("bob", "lab1.a").points == 1

    severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not severe, severe
