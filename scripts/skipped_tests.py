#!/usr/bin/env python3
"""Prints each skipped CTest test with its reason (CTest's summary names skipped tests but not
why), from the JUnit file `ctest --output-junit FILE` wrote. Usage: skipped_tests.py FILE."""
import re
import sys
import xml.etree.ElementTree as ET


def reason(case):
    """The reason a skipped <testcase> gives: GoogleTest's skip message, else the last output line."""
    out = case.findtext("system-out") or ""
    gtest = re.search(r": Skipped\n(.*?)\n(?:\n|\[  SKIPPED \])", out, re.S)
    if gtest and gtest.group(1).strip():
        return " ".join(gtest.group(1).split())
    lines = [l.strip() for l in out.splitlines() if l.strip()]
    return lines[-1] if lines else "(no reason printed)"


def main():
    try:
        root = ET.parse(sys.argv[1]).getroot()
    except (OSError, ET.ParseError):
        return 0
    skipped = [c for c in root.iter("testcase") if c.find("skipped") is not None]
    if skipped:
        print(f"{len(skipped)} skipped test(s), and why:")
        for c in skipped:
            print(f"  {c.get('name')}: {reason(c)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
