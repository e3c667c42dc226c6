"""`asl graph` output checked by real parsers, for every definition in datasets/ and in
the conformance corpus (../shared/conformance/cases) that `asl validate` accepts:

* SVG (and the SVG inside the HTML page) parses as XML and has one state node
  (`<g class="state ..." data-state=NAME data-type=TYPE>`) per state, nested ones too;
* Graphviz's `dot -Tsvg` accepts the DOT, and its nodes include every state;
* Mermaid's own parser (tests/clients/js/mermaid_check.mjs, the pinned `mermaid`
  package) accepts the Mermaid flowchart, and the labels it parsed name every state.

tests/setup.sh installs graphviz and the npm packages; without `dot` or node the
checks that need them are skipped with a NOTICE. Without ../shared the conformance
corpus is skipped with a NOTICE. `asl graph` runs once per definition and format.
"""
import html.parser
import json
import os
import re
import shutil
import subprocess
import tempfile
import warnings
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import REPO_ROOT, asl_bin_path

JS = Path(__file__).parent / "js"
MERMAID_CHECK = JS / "mermaid_check.mjs"
DATASETS = REPO_ROOT / "datasets"
CONFORMANCE = REPO_ROOT.parent / "shared" / "conformance" / "cases"
FORMATS = ("svg", "dot", "mermaid", "html")
WORKERS = max(4, 2 * (os.cpu_count() or 2))
SVG_NS = "{http://www.w3.org/2000/svg}"


def notice_skip(reason):
    """Skip, and say why where `pytest -q` shows it (the warnings summary)."""
    warnings.warn(f"NOTICE: {reason}", stacklevel=2)
    pytest.skip(f"NOTICE: {reason}")


def state_types(states, out=None):
    """{name: Type} of every state, through Parallel Branches and Map processors."""
    out = {} if out is None else out
    for name, state in states.items():
        out[name] = state.get("Type")
        for branch in state.get("Branches") or []:
            state_types(branch.get("States") or {}, out)
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                state_types(state[key].get("States") or {}, out)
    return out


def run_asl(*args, timeout=60):
    return subprocess.run([str(asl_bin_path()), *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=timeout)


def pmap(fn, items):
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(fn, items))


class Definition:
    def __init__(self, label, path, definition):
        self.label = label
        self.path = Path(path)
        self.states = state_types(definition["States"])
        self.out = {}  # format -> file written by asl graph


def load_corpus(name, workdir):
    """The definitions of one corpus, as files `asl` can read."""
    if name == "datasets":
        files = sorted(DATASETS.rglob("*.asl.json"))
        assert files, f"no *.asl.json under {DATASETS}"
        return [Definition(str(f.relative_to(REPO_ROOT)), f, json.loads(f.read_text()))
                for f in files]
    if not CONFORMANCE.is_dir():
        notice_skip(f"{CONFORMANCE} not found; the conformance corpus is not checked")
    defs = []
    for case in sorted(CONFORMANCE.glob("*.json")):
        definition = json.loads(case.read_text())["definition"]
        path = workdir / f"{case.stem}.asl.json"
        path.write_text(json.dumps(definition))
        defs.append(Definition(f"conformance/{case.name}", path, definition))
    assert defs, f"no cases in {CONFORMANCE}"
    return defs


def accepted_by_validate(defs):
    """The definitions `asl validate` accepts (one call per 200 files)."""
    valid = set()
    for i in range(0, len(defs), 200):
        chunk = defs[i:i + 200]
        done = run_asl("validate", "--format", "json", *[str(d.path) for d in chunk],
                       timeout=120)
        assert done.returncode in (0, 3), done.stdout + done.stderr
        valid.update(r["file"] for r in json.loads(done.stdout) if r["valid"])
    return [d for d in defs if str(d.path) in valid]


def render_all(defs, outdir):
    """`asl graph` in every format for every definition, in parallel."""
    jobs = []
    for i, d in enumerate(defs):
        for fmt in FORMATS:
            d.out[fmt] = outdir / f"{i:04d}.{fmt}"
            jobs.append((d, fmt))

    def render(job):
        d, fmt = job
        done = run_asl("graph", str(d.path), "--format", fmt, "--out", str(d.out[fmt]))
        return None if done.returncode == 0 else (
            f"{d.label} --format {fmt}: exit {done.returncode}: {done.stderr.strip()}")

    failures = [f for f in pmap(render, jobs) if f]
    assert not failures, "asl graph failed:\n" + "\n".join(failures)


@pytest.fixture(scope="module", params=["datasets", "conformance"])
def corpus(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"graph-{request.param}")
    defs = accepted_by_validate(load_corpus(request.param, workdir))
    assert defs, f"asl validate accepted no definition of {request.param}"
    render_all(defs, workdir)
    print(f"\n{request.param}: {len(defs)} definitions drawn in {len(FORMATS)} formats")
    return defs


@pytest.fixture(scope="module")
def dot_bin():
    found = shutil.which("dot")
    if found is None:
        notice_skip("graphviz `dot` not found (run bash tests/setup.sh); DOT output not checked")
    return found


@pytest.fixture(scope="module")
def mermaid_check():
    node = shutil.which("node")
    if node is None or not (JS / "node_modules" / "mermaid").is_dir() \
            or not (JS / "node_modules" / "jsdom").is_dir():
        notice_skip("node or tests/clients/js/node_modules (mermaid, jsdom) missing "
                    "(run bash tests/setup.sh); Mermaid output not checked")

    def check_chunk(files):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "parsed.json"
            done = subprocess.run([node, str(MERMAID_CHECK), "--json", str(out),
                                   *map(str, files)], cwd=JS, capture_output=True, text=True,
                                  timeout=300, env=dict(os.environ, NODE_NO_WARNINGS="1"))
            assert done.returncode in (0, 1) and out.is_file(), (
                f"mermaid_check.mjs exited {done.returncode}\n{done.stdout}\n{done.stderr}")
            return json.loads(out.read_text(encoding="utf-8"))

    def check(files):
        """Mermaid's parse of each file: {file: {ok, error, nodes, subgraphs}}
        (one node process per core: about 10 ms a file)."""
        files = list(files)
        parts = min(os.cpu_count() or 2, 4, max(1, len(files) // 50))
        parsed = {}
        for part in pmap(check_chunk, [files[i::parts] for i in range(parts)]):
            parsed.update(part)
        return parsed

    return check


# --- the checks, shared by the corpora and the nasty names -------------------------------

def svg_problems(label, root, states):
    """Problems of an SVG tree: its state nodes must be exactly the definition's."""
    seen = {}
    for g in root.iter(f"{SVG_NS}g"):
        if "state" in g.get("class", "").split():
            name = g.get("data-state")
            if name in seen:
                return [f"{label}: state {name!r} drawn twice"]
            seen[name] = g.get("data-type")
    if seen != states:
        missing = sorted(set(states) - set(seen))
        extra = sorted(set(seen) - set(states))
        wrong = sorted(n for n in set(seen) & set(states) if seen[n] != states[n])
        return [f"{label}: missing {missing}, unexpected {extra}, wrong data-type {wrong}"]
    return []


def check_svg(d):
    try:
        root = ET.parse(d.out["svg"]).getroot()
    except ET.ParseError as e:
        return [f"{d.label}: the SVG is not well-formed XML: {e}"]
    if root.tag != f"{SVG_NS}svg":
        return [f"{d.label}: the root element is {root.tag}, not svg"]
    return svg_problems(d.label, root, d.states)


class _PageParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.scripts, self.svgs = [], [], 0

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        self.svgs += tag == "svg"
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "script":
            self.scripts[-1] += data


def check_html(d):
    text = d.out["html"].read_text(encoding="utf-8")
    if not text.lower().startswith("<!doctype html>"):
        return [f"{d.label}: the page does not start with <!doctype html>"]
    page = _PageParser()
    page.feed(text)
    page.close()
    if page.svgs != 1:
        return [f"{d.label}: the page holds {page.svgs} svg elements, not 1"]
    if any("alert(" in s for s in page.scripts):
        return [f"{d.label}: a state name became a <script>: {page.scripts}"]
    # The inline SVG must still be XML with every state.
    start, end = text.find("<svg"), text.rfind("</svg>")
    try:
        root = ET.fromstring(text[start:end + len("</svg>")])
    except ET.ParseError as e:
        return [f"{d.label}: the page's SVG is not well-formed XML: {e}"]
    return svg_problems(d.label + " (html)", root, d.states)


def dot_node_id(name):
    # In a DOT quoted string only \" is an escape: Graphviz keeps `\\` as two
    # characters in an id (labels, escStrings, turn it back into one).
    return name.replace("\\", "\\\\")


DOT_NODE = re.compile(r'^\s*("(?:[^"\\]|\\.)*") \[label=', re.M)


def dot_label_text(label):
    r"""A label as Graphviz draws it: `\\` is a backslash, `\n` a line break."""
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), label)


def run_dot(defs, dot):
    """`dot -Tsvg -Tjson` on every DOT file (few processes: Graphviz starts slowly).
    Returns problems, and leaves FILE.svg and FILE.json beside each DOT file."""
    chunks = [defs[i::WORKERS] for i in range(min(WORKERS, len(defs)))]

    def run(chunk):
        # In the files' folder: whatever else Graphviz writes stays out of the checkout.
        done = subprocess.run([dot, "-Tsvg", "-Tjson", "-O", *[str(d.out["dot"]) for d in chunk]],
                              capture_output=True, text=True, timeout=120,
                              cwd=str(chunk[0].out["dot"].parent))
        # Any complaint about the input fails; missing fonts are the machine's business.
        said = [line for line in done.stderr.splitlines()
                if line.strip() and "font" not in line.lower()]
        if done.returncode != 0 or said:
            return [f"dot exited {done.returncode}: " + "\n".join(said)[:3000]]
        return []

    return [p for ps in pmap(run, chunks) for p in ps]


def check_dot(d):
    """Graphviz drew the file, with one node per node statement (an edge naming an
    id that no statement declares would add one) and a node for every state."""
    svg = Path(f"{d.out['dot']}.svg")
    layout = Path(f"{d.out['dot']}.json")
    if not svg.is_file() or not layout.is_file():
        return [f"{d.label}: dot -Tsvg wrote nothing"]
    ET.parse(svg)
    declared = DOT_NODE.findall(d.out["dot"].read_text(encoding="utf-8"))
    nodes = [o for o in json.loads(layout.read_text(encoding="utf-8")).get("objects", [])
             if not {"nodes", "edges", "subgraphs"} & set(o)]
    if len(nodes) != len(declared):
        return [f"{d.label}: Graphviz has {len(nodes)} nodes, the DOT declares "
                f"{len(declared)}: {sorted(o['name'] for o in nodes)}"]
    # Graphviz renames ids that start with `%` (its own anonymous ids) and keeps
    # them apart; their labels still name the state.
    drawn = {(o["name"], dot_label_text(o.get("label", "")).split("\n")[0]) for o in nodes}
    missing = sorted(n for n in d.states if (dot_node_id(n), n) not in drawn
                     and not any(i.startswith("%") and lab == n for i, lab in drawn))
    return [f"{d.label}: no Graphviz node for states {missing}"] if missing else []


MERMAID_NODE = re.compile(r'^\s*(n\d+)(?:\(\(|\[\(|\[)"', re.M)


def mermaid_problems(d, parsed):
    """Mermaid parsed it, found exactly the nodes the text declares (an edge naming an
    undeclared id would add one), and labelled one of them with each state's name."""
    if parsed is None:
        return [f"{d.label}: not checked by mermaid_check.mjs"]
    if not parsed["ok"]:
        return [f"{d.label}: Mermaid rejected it: {parsed['error'][:600]}"]
    declared = set(MERMAID_NODE.findall(d.out["mermaid"].read_text(encoding="utf-8")))
    if set(parsed["nodes"]) != declared:
        return [f"{d.label}: Mermaid parsed nodes {sorted(parsed['nodes'])}, the text "
                f"declares {sorted(declared)}"]
    labels = list(parsed["nodes"].values())
    missing = sorted(n for n in d.states
                     if not any(lab == n or lab.startswith(n + " (") for lab in labels))
    if missing:
        return [f"{d.label}: no Mermaid node labelled with states {missing} "
                f"(labels: {labels})"]
    return []


def check_mermaid(defs, mermaid_check):
    parsed = mermaid_check([d.out["mermaid"] for d in defs])
    return [p for d in defs for p in mermaid_problems(d, parsed.get(str(d.out["mermaid"])))]


def assert_no_problems(problems, what):
    assert not problems, f"{len(problems)} {what} problems:\n" + "\n".join(problems[:40])


# --- every definition of datasets/ and of the conformance corpus ------------------------

def test_svg_is_xml_with_every_state(corpus):
    assert_no_problems([p for d in corpus for p in check_svg(d)], "SVG")


def test_html_page_holds_the_svg(corpus):
    assert_no_problems([p for d in corpus for p in check_html(d)], "HTML")


def test_dot_accepted_by_graphviz(corpus, dot_bin):
    assert_no_problems(run_dot(corpus, dot_bin) + [p for d in corpus for p in check_dot(d)],
                       "DOT")


def test_mermaid_accepted_by_mermaid(corpus, mermaid_check):
    assert_no_problems(check_mermaid(corpus, mermaid_check), "Mermaid")


# --- state names that try to break out of every format ----------------------------------

NASTY = [
    'say "hi"',
    "back\\slash",
    "trailing\\",
    'quote\\"in',
    "<script>alert(1)</script>",
    "#35; not an entity #quot;",
    "a & b &amp; c",
    "ünïcödé ✓ 日本語 🚀",
    "end",
    "subgraph",
    "graph",
    "node",
    "edge",
    "A --> B",
    "pipe|bar",
    "[square] (round) {curly}",
    "semi;colon",
    "%% not a comment",
    "click",
    "style",
    "class",
    "`tick`",
    "Start",
    "End",
    "\\N and \\l",
    "'single'",
    "-- dashes --",
    "]]>",
    "%%{init: {'theme': 'dark'}}%% directive",
    "x %%{wrap}%% y",
    "a:::cls",
    "click n0 call alert()",
    "&#35; &lt;",
]


def nasty_definition():
    """Every kind of place a name can appear: states, Choice rules (edge labels),
    Catch and Retry, a Parallel's branches, a Map's processor, the Comment."""
    n = NASTY
    inner = {n[i]: {"Type": "Pass", "Next": n[i + 1]} for i in range(12, 15)}
    inner[n[15]] = {"Type": "Pass", "End": True}
    return {
        "Comment": '<script>alert("comment")</script> & "quotes"',
        "StartAt": n[0],
        "States": {
            n[0]: {"Type": "Pass", "Next": n[1]},
            n[1]: {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.x", "StringEquals": n[3], "Next": n[2]},
                    {"Variable": "$.y", "StringEquals": '<b>|"]-->#amp;', "Next": n[4]},
                ],
                "Default": n[5],
            },
            n[2]: {"Type": "Pass", "Next": n[4]},
            n[3]: {"Type": "Succeed"},
            n[4]: {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Retry": [{"ErrorEquals": ['My"Error<>#&'], "MaxAttempts": 1}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": n[3]}],
                "Next": n[5],
            },
            n[5]: {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": n[6], "States": {
                        n[6]: {"Type": "Pass", "Next": n[7]},
                        n[7]: {"Type": "Pass", "End": True}}},
                    {"StartAt": n[8], "States": {
                        n[8]: {"Type": "Pass", "Next": n[9]},
                        n[9]: {"Type": "Wait", "Seconds": 1, "Next": n[10]},
                        n[10]: {"Type": "Pass", "End": True}}},
                ],
                "Next": n[11],
            },
            n[11]: {
                "Type": "Map",
                "ItemProcessor": {"StartAt": n[12], "States": inner},
                "Next": n[16],
            },
            **{n[i]: {"Type": "Pass", "Next": n[i + 1]} for i in range(16, len(n) - 1)},
            n[-1]: {"Type": "Fail", "Error": "E", "Cause": n[-1]},
        },
    }


@pytest.fixture(scope="module")
def nasty(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("graph-nasty")
    definition = nasty_definition()
    path = workdir / "nasty.asl.json"
    path.write_text(json.dumps(definition, ensure_ascii=False), encoding="utf-8")
    d = Definition("nasty.asl.json", path, definition)
    assert sorted(d.states) == sorted(NASTY)
    done = run_asl("validate", str(path))
    assert done.returncode == 0, f"asl validate rejected the nasty definition:\n{done.stdout}"
    render_all([d], workdir)
    return d


def test_nasty_names_svg_and_html(nasty):
    assert_no_problems(check_svg(nasty) + check_html(nasty), "SVG/HTML")
    # Nothing in the names may turn into markup.
    for fmt in ("svg", "html"):
        text = nasty.out[fmt].read_text(encoding="utf-8")
        assert "<script>" not in text and "<b>" not in text, fmt


def test_svg_keeps_whitespace_in_names(tmp_path):
    names = ["tab\there", "line\nbreak"]
    definition = {"StartAt": names[0], "States": {
        names[0]: {"Type": "Pass", "Next": names[1]}, names[1]: {"Type": "Succeed"}}}
    path = tmp_path / "ws.asl.json"
    path.write_text(json.dumps(definition))
    d = Definition("ws.asl.json", path, definition)
    render_all([d], tmp_path)
    assert_no_problems(check_svg(d), "SVG")


def test_state_names_like_marker_ids(tmp_path, dot_bin):
    """Markers' ids never take a state's: `#start#1` when a state is named `#start`."""
    names = ["#start", "#end", "M#writer"]
    definition = {"StartAt": names[0], "States": {
        names[0]: {"Type": "Pass", "Next": names[1]}, names[1]: {"Type": "Pass", "Next": "M"},
        "M": {"Type": "Map", "End": True, "ItemReader": {
                  "Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b", "Key": "k"}},
              "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b"}},
              "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                                "StartAt": names[2], "States": {names[2]: {"Type": "Pass", "End": True}}}}}}
    path = tmp_path / "markers.asl.json"
    path.write_text(json.dumps(definition))
    d = Definition("markers.asl.json", path, definition)
    render_all([d], tmp_path)
    assert_no_problems(run_dot([d], dot_bin) + check_dot(d), "DOT")


def test_nasty_names_dot(nasty, dot_bin):
    assert_no_problems(run_dot([nasty], dot_bin) + check_dot(nasty), "DOT")


def test_nasty_names_mermaid(nasty, mermaid_check):
    assert_no_problems(check_mermaid([nasty], mermaid_check), "Mermaid")
    text = nasty.out["mermaid"].read_text(encoding="utf-8")
    assert "<script" not in text and '"say "' not in text


def test_mermaid_checker_rejects_broken_flowcharts(mermaid_check, tmp_path):
    """The checker is Mermaid's real flowchart grammar, not a no-op."""
    cases = {
        "good": 'flowchart TD\n  n0["a #quot;b#quot;"] -->|"x"| n1["c"]\n',
        "unclosed_label": 'flowchart TD\n  n0["a" --> n1["b"]\n',
        "unclosed_shape": 'flowchart TD\n  n0["a"] --> n1["b"\n',
        "unclosed_edge_label": 'flowchart TD\n  n0 -->|"x" n1\n',
        "open_subgraph": 'flowchart TD\n  subgraph sg1 ["s"]\n  n0["a"]\n',
        "not_flowchart": "sequenceDiagram\n  A->>B: hi\n",
    }
    files = {}
    for name, text in cases.items():
        files[name] = tmp_path / f"{name}.mmd"
        files[name].write_text(text)
    parsed = mermaid_check(files.values())
    ok = {name for name, f in files.items() if parsed[str(f)]["ok"]}
    assert ok == {"good"}, parsed
    assert parsed[str(files["good"])]["nodes"] == {"n0": 'a "b"', "n1": "c"}


def test_nasty_html_in_chromium(nasty, tmp_path):
    """The page in a real browser: every state node there, and no script ran."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        notice_skip("chromium not found (run bash tests/setup.sh); HTML not opened in a browser")
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    done = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", "--dump-dom",
         nasty.out["html"].resolve().as_uri()],
        capture_output=True, text=True, timeout=90)
    assert done.returncode == 0 and "</html>" in done.stdout, done.stderr[-2000:]
    page = _PageParser()
    page.feed(done.stdout)
    page.close()
    assert not any("alert(" in s for s in page.scripts), page.scripts
    names = set()

    class States(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "g" and "state" in (a.get("class") or "").split():
                names.add(a.get("data-state"))

    States().feed(done.stdout)
    assert names == set(NASTY), sorted(set(NASTY) ^ names)
