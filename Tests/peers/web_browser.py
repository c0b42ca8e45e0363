"""A rep's morning in a real browser: headless Chromium driven by Selenium against a running `touchbase serve`
with demo data. Signs in, works Today, searches an account, opens it and a contact, edits, QCs, approves and marks
a draft sent, records a referral reply, uploads an import and watches it finish, and works a queue; saves a
screenshot of each page. Exits non-zero with the step that failed.

usage: web_browser.py BASE_URL EMAIL PASSWORD SCREENSHOT_DIR CSV_FILE
"""
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

base, email, password, shots, csv_file = sys.argv[1:6]
os.makedirs(shots, exist_ok=True)

options = webdriver.ChromeOptions()
for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]:
    options.add_argument(arg)
binary = os.environ.get("TOUCHBASE_TEST_CHROMIUM", "/usr/bin/chromium")
if os.path.exists(binary):
    options.binary_location = binary
service = webdriver.ChromeService(executable_path=os.environ.get("TOUCHBASE_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"))
driver = webdriver.Chrome(options=options, service=service)
wait = WebDriverWait(driver, 20)
step = "start"


def shot(name):
    driver.save_screenshot(os.path.join(shots, name + ".png"))


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


def text():
    return driver.execute_script("return document.body ? document.body.innerText : '';") or ""


def notice():
    # Read in one script call: the page may be replaced between finding the element and reading it.
    try:
        return driver.execute_script("var n = document.querySelector('.notice'); return n ? n.textContent : '';") or ""
    except Exception:  # noqa: BLE001 - a page in the middle of loading
        return ""


try:
    step = "sign in"
    driver.get(base + "/")
    expect("/login" in driver.current_url, "an anonymous visit goes to /login")
    shot("01-login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    wait.until(lambda d: d.find_elements(By.ID, "h-replies"))

    step = "Today"
    body = text()
    for part in ["Replies to handle", "referral", "Late", "Drafts to approve", "Renewals due", "Bounced emails"]:
        expect(part in body, "Today shows " + part)
    shot("02-today")
    # Keyboard: j selects the first item.
    driver.find_element(By.TAG_NAME, "body").send_keys("j")
    expect(driver.find_elements(By.CSS_SELECTOR, "[data-item].selected"), "j selects an item")
    # Complete a late follow-up with one click.
    late = driver.find_elements(By.CSS_SELECTOR, "button[data-action=complete]")
    expect(late, "a follow-up offers Complete")
    late[0].click()
    wait.until(lambda d: "Follow-up completed." in notice())

    step = "search an account"
    search = driver.find_element(By.ID, "global-q")
    driver.find_element(By.TAG_NAME, "body").send_keys("/")
    expect(driver.switch_to.active_element == search, "/ focuses the search")
    search.send_keys("Logistics", Keys.ENTER)
    wait.until(lambda d: "/companies" in d.current_url and d.find_elements(By.CSS_SELECTOR, "table.list tbody a"))
    shot("03-accounts")

    step = "open the account"
    driver.find_element(By.CSS_SELECTOR, "table.list tbody a").click()
    wait.until(lambda d: d.find_elements(By.ID, "h-map"))
    expect(driver.find_elements(By.CSS_SELECTOR, "svg.map circle"), "the relationship map draws people")
    expect("Health" in text() and "Expansion targets" in text(), "the account shows health and expansion targets")
    shot("04-account")

    step = "open a contact with a draft to approve"
    driver.get(base + "/")
    driver.find_element(By.CSS_SELECTOR, "a[data-action=edit]").click()
    wait.until(lambda d: d.find_elements(By.ID, "h-drafts"))
    shot("05-contact")

    step = "edit, QC, approve, mark sent"
    draft = driver.find_elements(By.CSS_SELECTOR, "article.draft")[0]
    draft_id = draft.get_attribute("id")
    body_box = draft.find_element(By.CSS_SELECTOR, "textarea[name=body]")
    body_box.send_keys(" Happy to share the numbers.")
    draft.find_element(By.CSS_SELECTOR, "form[action='/do/update_draft'] button[type=submit]").click()
    wait.until(lambda d: "Draft saved" in notice())
    draft = driver.find_element(By.ID, draft_id)
    expect("Earlier versions" in draft.text, "the edit made a version")
    draft.find_element(By.CSS_SELECTOR, "button[data-action=qc]").click()
    wait.until(lambda d: "QC run." in notice())
    draft = driver.find_element(By.ID, draft_id)
    expect("QC passed" in draft.text, "the edited draft passes QC: " + draft.text[:300])
    draft.find_element(By.CSS_SELECTOR, "button[data-action=approve]").click()
    wait.until(lambda d: "Draft approved." in notice())
    draft = driver.find_element(By.ID, draft_id)
    draft.find_element(By.CSS_SELECTOR, "button[data-action=sent]").click()
    wait.until(lambda d: "Marked sent." in notice())
    expect("sent" in driver.find_element(By.ID, draft_id).text, "the draft is sent")
    shot("06-draft-sent")

    step = "record a referral reply"
    driver.find_element(By.XPATH, "//summary[contains(., 'Record a reply')]").click()
    Select(driver.find_element(By.ID, "rr-intent")).select_by_value("referral")
    driver.find_element(By.ID, "rr-text").send_keys("Talk to Sam Rivera, our QA lead.")
    driver.find_element(By.ID, "rr-ref-name").send_keys("Sam Rivera")
    driver.find_element(By.ID, "rr-ref-title").send_keys("QA Lead")
    driver.find_element(By.CSS_SELECTOR, "form[action='/do/record_reply'] button[type=submit]").click()
    wait.until(lambda d: "Reply recorded." in notice())
    expect("referral Sam Rivera" in text(), "the reply is listed with its referral")
    driver.get(base + "/")
    expect("Sam Rivera" in text(), "Today shows the referral")

    step = "a batch and its experiment"
    driver.get(base + "/batches")
    driver.find_element(By.CSS_SELECTOR, "a[href^='/batches/']").click()
    wait.until(lambda d: "Pre-brief" in text())
    shot("07-batch")
    driver.get(base + "/batches")
    driver.find_element(By.CSS_SELECTOR, "a[href^='/experiments/']").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "svg.chart rect"))
    expect("Not enough data" in text() or "Inconclusive" in text() or "wins" in text(), "the verdict is said plainly")
    shot("08-experiment")

    step = "work a queue"
    driver.get(base + "/queues?queue=company-urls")
    before = len(driver.find_elements(By.CSS_SELECTOR, "button[data-action=checked]"))
    expect(before > 0, "the queue has items")
    first = driver.find_element(By.CSS_SELECTOR, "tbody tr td a").text
    driver.find_element(By.CSS_SELECTOR, "button[data-action=checked]").click()
    wait.until(lambda d: "Marked checked." in notice())
    shot("09-queue")

    step = "renewals into a campaign"
    driver.get(base + "/renewals")
    if not driver.find_elements(By.CSS_SELECTOR, "form[action='/do/add_campaign_members_from_slots']"):
        driver.find_element(By.LINK_TEXT, "Create a campaign").click()
        driver.find_element(By.ID, "f-name").send_keys("Renewals Q1")
        driver.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
        wait.until(lambda d: "Campaign created." in notice())
    driver.find_element(By.CSS_SELECTOR, "form[action='/do/add_campaign_members_from_slots'] button").click()
    wait.until(lambda d: "added to the campaign" in notice())
    shot("10-renewals")

    step = "upload an import and watch it finish"
    driver.get(base + "/imports")
    Select(driver.find_element(By.ID, "kind")).select_by_value("contacts")
    driver.find_element(By.ID, "file").send_keys(os.path.abspath(csv_file))
    driver.find_element(By.CSS_SELECTOR, "form[action='/imports'] button[type=submit]").click()
    wait.until(lambda d: "/imports/" in d.current_url)
    WebDriverWait(driver, 60).until(lambda d: "completed" in d.find_element(By.TAG_NAME, "h2").text)
    shot("11-import")

    step = "agents and their cost"
    driver.get(base + "/agents")
    expect(driver.find_elements(By.CSS_SELECTOR, "svg.chart rect"), "the cost chart draws")
    shot("12-agents")

    step = "a phone's width"
    driver.set_window_size(375, 900)
    driver.get(base + "/")
    expect(driver.execute_script("return document.documentElement.scrollWidth") <= 390, "Today fits 375 px")
    shot("13-today-375")
    print("ok: every step passed")
except Exception as error:  # noqa: BLE001 - report the step
    shot("failed")
    print("failed at step '%s': %s" % (step, error), file=sys.stderr)
    sys.exit(1)
finally:
    driver.quit()
