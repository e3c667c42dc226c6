"""`asl test` on the examples in datasets/ (a test file for each), its JUnit XML read
back by a JUnit parser (junitparser), and a failing case reported with what differs."""

import subprocess

from junitparser import Failure, JUnitXml

from conftest import REPO_ROOT, asl_bin_path


def asl_test(*args):
    return subprocess.run([str(asl_bin_path()), "test", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


def test_the_examples_pass_and_their_junit_reads_back(tmp_path):
    junit = tmp_path / "junit.xml"
    r = asl_test("datasets", "--junit", str(junit))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 failed" in r.stdout
    xml = JUnitXml.fromfile(str(junit))
    suites = {s.name: s for s in xml}
    for example in ["orders", "approval", "activities", "nested", "http", "mocks", "logs", "map"]:
        assert any(f"datasets/{example}/" in name for name in suites), (example, list(suites))
    cases = [c for s in xml for c in s]
    assert len(cases) == sum(s.tests for s in xml) >= 21
    assert all(c.is_passed for c in cases)
    assert "a declined payment ends in PaymentFailed" in {c.name for c in cases}


def test_a_failing_case_is_reported_with_its_differences(tmp_path):
    (tmp_path / "pass.asl.json").write_text(
        '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"a": 1, "b": [1, 2]}, "End": true}}}')
    (tmp_path / "pass.test.yaml").write_text("""
definition: pass.asl.json
cases:
  - name: right
    expect: {output: {a: 1, b: [1, 2]}}
  - name: wrong <on purpose>
    expect: {output: {a: 2, b: [1, 2]}, path: [P, Q]}
""")
    junit = tmp_path / "junit.xml"
    r = asl_test(str(tmp_path), "--junit", str(junit))
    assert r.returncode == 1
    assert "✗ wrong <on purpose>" in r.stdout
    assert "output.a: expected 2, got 1" in r.stdout
    assert 'path: expected ["P","Q"], got ["P"]' in r.stdout
    assert "1 passed, 1 failed" in r.stdout
    [suite] = list(JUnitXml.fromfile(str(junit)))
    assert (suite.tests, suite.failures) == (2, 1)
    wrong = [c for c in suite if c.name == "wrong <on purpose>"][0]
    [failure] = [res for res in wrong.result if isinstance(res, Failure)]
    assert failure.message == "output.a: expected 2, got 1"
    assert "path: expected" in failure.text
