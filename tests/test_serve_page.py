"""The page at / in a real browser: headless Chromium (Debian's chromium and chromium-driver, which
.ci/run installs) driven by Selenium types an article, submits it, and finds the summary with an
unsupported fact highlighted. A tiny random seq2seq model writes summaries with names that are not
in the article, which the guard flags."""

import os
import shutil
from pathlib import Path

import pytest

from .conftest import CORPUS
from .serving import Server

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER), reason="needs chromium and chromium-driver (.ci/run installs them)"
)
# The first paragraphs of a corpus article: typed key by key, so short.
ARTICLE = "\n".join((CORPUS / "articles" / "politica-01.txt").read_text(encoding="utf-8").splitlines()[:4])


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1200,1400"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)  # no driver download
    yield driver
    driver.quit()


@pytest.mark.slow
def test_the_page_summarises_a_typed_article_and_highlights_an_unsupported_fact(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.tiny_models import build_tiny_model

    bart = build_tiny_model("bart", tmp_path / "bart")
    server = Server("--model", str(bart), "--lang", "it", "--timeout", "300", log=tmp_path / "log")
    try:
        browser.get(server.url + "/")
        browser.find_element(By.ID, "text").send_keys(ARTICLE)
        browser.find_element(By.ID, "summarise").click()
        WebDriverWait(browser, 300).until(
            expected_conditions.visibility_of_element_located((By.ID, "result"))
        )
        summary = browser.find_element(By.ID, "summary-it").text
        marked = browser.find_elements(By.CSS_SELECTOR, "#summary-it mark.unsupported")
        warnings = browser.find_element(By.ID, "warnings").text
        provenance = browser.find_element(By.ID, "provenance").text
        screenshot = Path(os.environ.get("ITNEWS_SCREENSHOT", tmp_path / "page.png"))
        browser.save_screenshot(str(screenshot))
    finally:
        assert server.stop() == 0
    assert summary and marked
    assert all(mark.text in summary and f"{mark.text!r} is not in the article" in warnings for mark in marked)
    assert '"summariser"' in provenance and browser.find_element(By.ID, "article-status").text == ""
    assert not browser.get_log("browser") or all(e["level"] != "SEVERE" for e in browser.get_log("browser"))


def test_the_stories_view_shows_the_stores_recent_stories(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    from itnews.monitor.store import Store
    from tests.test_store import corpus_records

    with Store(tmp_path / "news.db") as store:
        store.add_articles(corpus_records("s01", "s02"))
        store.update_stories()
        headlines = {stored.story.headline for stored in store.stories("2000-01-01")}
    server = Server("--store", str(tmp_path / "news.db"), log=tmp_path / "log")
    try:
        browser.get(server.url + "/")
        browser.find_element(By.ID, "tab-store").click()
        browser.find_element(By.ID, "load-stories").click()
        WebDriverWait(browser, 60).until(
            expected_conditions.text_to_be_present_in_element(
                (By.ID, "store-status"), "stories with news since"
            )
        )
        shown = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "#stored-stories h2")]
        sources = browser.find_element(By.ID, "stored-stories").text
        screenshot = Path(os.environ.get("ITNEWS_SCREENSHOT", tmp_path / "stories.png"))
        browser.save_screenshot(str(screenshot))
        severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]  # before the 422 below
        since = browser.find_element(By.ID, "since")
        since.clear()
        since.send_keys("next week")
        browser.find_element(By.ID, "load-stories").click()
        WebDriverWait(browser, 60).until(
            expected_conditions.text_to_be_present_in_element(
                (By.ID, "store-status"), "since: give a duration"
            )
        )
    finally:
        assert server.stop() == 0
    assert set(shown) == headlines and len(shown) == 2
    assert "seen 20" in sources and "s-000001" in sources  # when the store saw it, and its id
    assert not severe
