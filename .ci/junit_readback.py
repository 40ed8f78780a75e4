"""Reads pipelint's JUnit XML back with a real JUnit parser (junitparser, from PyPI) and
checks it against the JSON report of the same run: one testsuite per pipeline file, one
failing testcase per rule and step with findings carrying the first message and every
location, passing testcases only for rules that found nothing, and consistent counts.

    python junit_readback.py PIPELINT_BINARY PATH...
"""

import json
import subprocess
import sys
from collections import OrderedDict

from junitparser import Error, Failure, JUnitXml


def run(binary, fmt, paths):
    out = subprocess.run(
        [binary, "check", "--quiet", "--format", fmt, *paths],
        capture_output=True,
        check=False,
    )
    if out.returncode not in (0, 1):
        sys.exit(f"pipelint exited {out.returncode}: {out.stderr.decode()}")
    return out.stdout


def main():
    binary, paths = sys.argv[1], sys.argv[2:]
    report = json.loads(run(binary, "json", paths))
    rules = [
        line.split()[0]
        for line in subprocess.run(
            [binary, "rules"], capture_output=True, text=True, check=True
        ).stdout.splitlines()
    ]
    xml = JUnitXml.fromstring(run(binary, "junit", paths))

    # What the JSON report says each file's testsuite must hold.
    expected = OrderedDict()
    for f in report["files"]:
        if f["kind"] in ("pipeline", "unreadable"):
            expected[f["path"]] = OrderedDict()
    for f in report["findings"]:
        name = f["rule"] if f["step"] is None else f"{f['rule']} ({f['step']})"
        expected[f["file"]].setdefault(name, []).append(f)

    suites = list(xml)
    assert [s.name for s in suites] == list(expected), "one testsuite per pipeline file"
    tests = failures = errors = 0
    for suite in suites:
        groups = expected[suite.name]
        cases = list(suite)
        failed = {}
        passed = []
        for case in cases:
            results = case.result
            assert len(results) <= 1, f"{suite.name}: {case.name}: {results}"
            if results and isinstance(results[0], Failure):
                failed[case.name] = results[0]
            elif results and isinstance(results[0], Error):
                errors += 1
            else:
                passed.append(case.name)
        assert list(failed) == list(groups), f"{suite.name}: {list(failed)} != {list(groups)}"
        for name, failure in failed.items():
            findings = groups[name]
            first = findings[0]["message"]
            more = len(findings) - 1
            want = first if more == 0 else f"{first} (and {more} more)"
            assert failure.message == want, f"{failure.message!r} != {want!r}"
            worst = max((f["severity"] for f in findings), key=["info", "warning", "error"].index)
            assert failure.type == worst, f"{failure.type} != {worst}"
            for f in findings:
                start = f["span"]["start"]
                where = f"{f['file']}:{start['line']}:{start['column']}: {f['severity']}[{f['rule']}] {f['message']}"
                assert where in failure.text, f"{where!r} not in {failure.text!r}"
        # Passing testcases: rules that ran (a config may turn some off) and found nothing.
        fired = {name.split(" ")[0] for name in groups}
        assert len(passed) == len(set(passed)), suite.name
        assert all(r in rules and r not in fired for r in passed), f"{suite.name}: {passed}"
        assert suite.tests == len(cases), suite.name
        assert suite.failures == len(failed), suite.name
        tests += len(cases)
        failures += len(failed)
    assert (xml.tests, xml.failures, xml.errors) == (tests, failures, errors)
    findings = sum(len(v) for g in expected.values() for v in g.values())
    assert findings == len(report["findings"])
    print(
        f"junit: {len(suites)} testsuites, {tests} testcases, {failures} failures "
        f"({findings} findings), {errors} errors read back with junitparser"
    )


if __name__ == "__main__":
    main()
