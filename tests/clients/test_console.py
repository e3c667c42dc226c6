"""The console of `asl serve` in a real headless browser (Debian's Chromium, driven by
Playwright): graphs, live colours, approving a callback, Map run counters, escaping,
sign-in with --auth and refusal of cross-site requests. Screenshots are kept in
target/console-screenshots/ as test artifacts."""

import json
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from support import create_machine, dumps, wait_until_done

sync_api = pytest.importorskip("playwright.sync_api", reason="NOTICE: playwright not installed (bash tests/setup.sh)")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = REPO_ROOT / "target" / "console-screenshots"
# As this machine's closed network needs: no background connections, no sandbox (root).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"NOTICE: Chromium not found at {CHROMIUM} (bash tests/setup.sh installs it); console tests skipped")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    ctx.close()
    assert not errors, f"errors in the page: {errors}"


def shot(page, name, full_page=True):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def state_names(definition):
    out = []
    for name, s in definition["States"].items():
        out.append(name)
        for b in s.get("Branches", []):
            out += state_names(b)
        proc = s.get("ItemProcessor") or s.get("Iterator")
        if proc:
            out += state_names(proc)
    return out


def transitions(definition):
    """(from, to) of every Next, Choice rule, Default and Catch, in every scope."""
    out = set()
    for name, s in definition["States"].items():
        targets = [s.get("Next"), s.get("Default")]
        targets += [c.get("Next") for c in s.get("Choices", [])]
        targets += [c.get("Next") for c in s.get("Catch", [])]
        out |= {(name, t) for t in targets if t}
        for b in s.get("Branches", []):
            out |= transitions(b)
        proc = s.get("ItemProcessor") or s.get("Iterator")
        if proc:
            out |= transitions(proc)
    return out


def status_of(page, state):
    return page.evaluate(
        """name => { const n = [...document.querySelectorAll('#graph g.state')]
              .find(g => g.getAttribute('data-state') === name);
              if (!n) return null;
              const c = [...n.classList].find(c => c.startsWith('st-'));
              return c ? c.slice(3) : null; }""", state)


def wait_status(page, state, status):
    page.wait_for_function(
        """([name, status]) => [...document.querySelectorAll('#graph g.state')]
              .some(g => g.getAttribute('data-state') === name && g.classList.contains('st-' + status))""",
        arg=[state, status], timeout=WAIT_MS)


def open_execution(page, url, arn):
    page.goto(f"{url}/#/execution/{urllib.parse.quote(arn, safe='')}")
    page.wait_for_selector("#graph g.state", timeout=WAIT_MS)


def test_the_orders_graph_has_a_node_per_state_and_the_right_edges(make_server, page):
    srv = make_server()
    definition = json.loads((REPO_ROOT / "datasets/orders/workflow.asl.json").read_text())
    _, arn = create_machine(srv.client(), dumps(definition), prefix="orders")
    page.goto(f"{srv.url}/#/machine/{urllib.parse.quote(arn, safe='')}")
    page.wait_for_selector("#graph g.state", timeout=WAIT_MS)
    shown = page.eval_on_selector_all("#graph g.state", "ns => ns.map(n => n.getAttribute('data-state'))")
    assert sorted(shown) == sorted(state_names(definition))
    edges = page.eval_on_selector_all(
        "#graph path.edge", "ps => ps.map(p => [p.getAttribute('data-from'), p.getAttribute('data-to'), p.getAttribute('class')])")
    drawn = {(f, t) for f, t, _ in edges}
    assert transitions(definition) <= drawn, transitions(definition) - drawn
    assert ("#start", definition["StartAt"]) in drawn
    kinds = {c.split()[-1] for _, _, c in edges}
    assert {"edge-choice", "edge-default", "edge-catch", "edge-retry", "edge-next"} <= kinds
    # The definition is shown as text.
    assert json.loads(page.text_content("#definition")) == definition
    shot(page, "orders-graph")


WAIT_DEF = {
    "StartAt": "First",
    "States": {
        "First": {"Type": "Pass", "Assign": {"seen": "first"}, "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 3, "Next": "Last"},
        "Last": {"Type": "Pass", "End": True},
    },
}


def test_states_change_colour_as_the_execution_runs(make_server, page):
    srv = make_server()
    sfn = srv.client()
    _, arn = create_machine(sfn, dumps(WAIT_DEF), prefix="live")
    ex = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    open_execution(page, srv.url, ex)
    wait_status(page, "Pause", "in-progress")
    assert status_of(page, "First") == "succeeded"
    assert status_of(page, "Last") == "not-reached"
    assert page.get_attribute("#execution-header", "data-status") == "RUNNING"
    shot(page, "execution-running")
    # Without reloading: the page follows the execution to its end.
    wait_status(page, "Last", "succeeded")
    assert status_of(page, "Pause") == "succeeded"
    page.wait_for_selector("#execution-header[data-status=SUCCEEDED]", timeout=WAIT_MS)
    page.wait_for_selector("#events-table tr[data-type=ExecutionSucceeded]", timeout=WAIT_MS)
    # Clicking a state shows its input and output.
    page.click("#graph g.state[data-state=First]")
    assert page.text_content("#selected-state") == "First"
    assert page.text_content("#selected-status") == "succeeded"
    assert json.loads(page.text_content("#state-details pre[data-field=Variables]")) == {"seen": '"first"'}
    shot(page, "execution-succeeded")


def approval_waiting(make_server, page, order):
    """The approval example started on `order` and open in the page: (client, execution)."""
    srv = make_server()
    sfn = srv.client()
    definition = (REPO_ROOT / "datasets/approval/workflow.asl.json").read_text()
    _, arn = create_machine(sfn, definition, prefix="approval")
    ex = sfn.start_execution(stateMachineArn=arn, input=dumps(order))["executionArn"]
    open_execution(page, srv.url, ex)
    return sfn, ex


def test_the_approval_example_is_approved_in_the_browser(make_server, page):
    sfn, ex = approval_waiting(make_server, page, {"orderId": "o-1", "amount": 5000})
    button = page.wait_for_selector(".pending-task[data-state=AskApproval] button.approve", timeout=WAIT_MS)
    wait_status(page, "AskApproval", "in-progress")
    shot(page, "approval-waiting")
    button.click()
    page.wait_for_selector("#execution-header[data-status=SUCCEEDED]", timeout=WAIT_MS)
    wait_status(page, "Approved", "succeeded")
    assert status_of(page, "Rejected") == "not-reached"
    out = json.loads(wait_until_done(sfn, ex)["output"])
    assert out["status"] == "approved" and out["approval"] == {"approved": True}, out
    shot(page, "approval-approved")


def test_a_rejection_in_the_browser_is_caught(make_server, page):
    sfn, ex = approval_waiting(make_server, page, {"amount": 2000})
    page.wait_for_selector(".pending-task button.reject", timeout=WAIT_MS).click()
    page.wait_for_selector("#execution-header[data-status=SUCCEEDED]", timeout=WAIT_MS)
    wait_status(page, "AskApproval", "caught")
    wait_status(page, "Rejected", "succeeded")
    assert json.loads(wait_until_done(sfn, ex)["output"])["status"] == "rejected"


def test_a_map_runs_counters_reach_the_item_count(make_server, page):
    srv = make_server()
    sfn = srv.client()
    items = 300
    definition = {
        "StartAt": "Each",
        "States": {"Each": {
            "Type": "Map", "ItemsPath": "$.items", "Label": "Each", "End": True,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                              "StartAt": "Double", "States": {"Double": {
                                  "Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, $.n)"}, "End": True}}},
        }},
    }
    _, arn = create_machine(sfn, dumps(definition), prefix="maprun")
    ex = sfn.start_execution(stateMachineArn=arn, input=dumps({"items": [{"n": i} for i in range(items)]}))["executionArn"]
    open_execution(page, srv.url, ex)
    page.wait_for_function(
        "n => { const t = document.querySelector('.map-run .succeeded'); return t && t.textContent === String(n); }",
        arg=items, timeout=WAIT_MS)
    assert page.text_content(".map-run .total") == str(items)
    assert page.text_content(".map-run .failed") == "0"
    wait_status(page, "Each", "succeeded")
    shot(page, "map-run", full_page=False)


SCRIPT_NAME = "<script>window.__pwned=1</script>"
IMG_NAME = "<img src=x onerror=\"window.__pwned=2\">"


def test_a_script_named_state_shows_as_text(make_server, page):
    srv = make_server()
    sfn = srv.client()
    definition = {"StartAt": SCRIPT_NAME, "States": {
        SCRIPT_NAME: {"Type": "Pass", "Result": {"html": "<b onmouseover=alert(1)>x</b>"}, "Next": IMG_NAME},
        IMG_NAME: {"Type": "Pass", "End": True}}}
    _, arn = create_machine(sfn, dumps(definition), prefix="xss")
    ex = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    wait_until_done(sfn, ex)
    open_execution(page, srv.url, ex)
    wait_status(page, IMG_NAME, "succeeded")
    names = page.eval_on_selector_all("#graph g.state", "ns => ns.map(n => n.getAttribute('data-state'))")
    assert sorted(names) == sorted([SCRIPT_NAME, IMG_NAME])
    labels = page.eval_on_selector_all("#graph g.state text.name", "ts => ts.map(t => t.textContent)")
    assert SCRIPT_NAME in labels
    page.evaluate("""name => [...document.querySelectorAll('#graph g.state')]
        .find(g => g.getAttribute('data-state') === name).dispatchEvent(new MouseEvent('click'))""", SCRIPT_NAME)
    assert page.text_content("#selected-state") == SCRIPT_NAME
    assert "<b onmouseover=alert(1)>x</b>" in page.text_content("#state-details pre[data-field=Output]")
    assert page.evaluate("window.__pwned") is None
    assert page.query_selector("#view script, #view img, #view b[onmouseover]") is None
    shot(page, "escaped-names")


def console_request(url, path, headers=None, body=None):
    req = urllib.request.Request(url + path, data=body, headers=headers or {}, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_with_auth_the_console_asks_for_a_key_and_refuses_cross_site_requests(make_server, page):
    srv = make_server(extra_args=["--auth", "AKIDCONSOLE:s3cret"])
    page.goto(srv.url + "/")
    page.wait_for_selector("#sign-in", timeout=WAIT_MS)
    page.fill("#access-key", "AKIDCONSOLE")
    page.fill("#secret-key", "wrong")
    page.click("#sign-in button[type=submit]")
    page.wait_for_function("() => document.querySelector('#sign-in .error').textContent.length > 0", timeout=WAIT_MS)
    page.fill("#secret-key", "s3cret")
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("h1:has-text('State machines')", timeout=WAIT_MS)
    # Without the session cookie, without the console's header, or from another site: refused.
    call = "/console/api/call/ListStateMachines"
    assert console_request(srv.url, call, {"X-Asl-Console": "1"}, b"{}")[0] == 401
    assert console_request(srv.url, call, {}, b"{}")[0] == 403
    evil = {"X-Asl-Console": "1", "Origin": "http://evil.example"}
    assert console_request(srv.url, call, evil, b"{}")[0] == 403
    cookies = page.context.cookies()
    session = next(c for c in cookies if c["name"] == "asl_console_session")
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    cookie = {"Cookie": f"asl_console_session={session['value']}"}
    assert console_request(srv.url, call, {"X-Asl-Console": "1", **cookie}, b"{}")[0] == 200
    assert console_request(srv.url, call, {**evil, **cookie}, b"{}")[0] == 403
    # The page forbids framing and foreign scripts.
    with urllib.request.urlopen(srv.url + "/", timeout=10) as r:
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]


def test_the_console_can_be_turned_off(make_server):
    srv = make_server(extra_args=["--no-console"])
    status, body = console_request(srv.url, "/")
    assert "asl console" not in body
    assert console_request(srv.url, "/console/api/session", {"X-Asl-Console": "1"})[0] != 200
    # The API still answers.
    assert srv.client().list_state_machines()["stateMachines"] == []


def test_executions_are_filtered_by_status_and_searched_by_name_past_the_first_page(make_server, page):
    srv = make_server()
    sfn = srv.client()
    _, arn = create_machine(sfn, dumps(WAIT_DEF), prefix="many")
    names = [f"run-{i:03}" for i in range(150)]
    for n in names:
        sfn.start_execution(stateMachineArn=arn, name=n, input="{}")
    for n in names:
        wait_until_done(sfn, f"{arn.replace(':stateMachine:', ':execution:')}:{n}")
    _, other = create_machine(sfn, dumps({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}), prefix="fails")
    failed = sfn.start_execution(stateMachineArn=other, name="broken-1", input="{}")["executionArn"]
    wait_until_done(sfn, failed)
    page.goto(f"{srv.url}/#/machine/{urllib.parse.quote(arn, safe='')}")
    page.wait_for_selector("#executions tr[data-name]", timeout=WAIT_MS)
    # A hundred at a time; the search reaches the ones not loaded yet.
    assert len(page.query_selector_all("#executions tr[data-name]")) == 100
    page.fill("#name-search", "run-00")
    page.wait_for_function(
        "() => document.querySelectorAll('#executions tr[data-name]').length === 10", timeout=WAIT_MS)
    shown = page.eval_on_selector_all("#executions tr[data-name]", "rs => rs.map(r => r.getAttribute('data-name'))")
    assert sorted(shown) == [f"run-00{i}" for i in range(10)]
    # Filtered by status on the server: none of these failed.
    page.fill("#name-search", "")
    page.select_option("#status-filter", "FAILED")
    page.wait_for_function(
        "() => document.querySelectorAll('#executions tr[data-name]').length === 0", timeout=WAIT_MS)
    page.select_option("#status-filter", "SUCCEEDED")
    page.wait_for_function(
        "() => document.querySelectorAll('#executions tr[data-name]').length === 100", timeout=WAIT_MS)
