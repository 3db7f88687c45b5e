"""Runs the Python binding's unittest suite (bindings/python/tests) for meson.

A skipped Python test is never reported as a pass: under CI=true any skip is a failure (a missing
peer, tool or fixture), elsewhere the suite exits 77 (meson's SKIP) after naming what skipped.
usage: run_python_suite.py TESTS_DIR
"""
import os
import sys
import unittest


def main() -> int:
    suite = unittest.defaultTestLoader.discover(sys.argv[1])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if not result.wasSuccessful():
        return 1
    if result.skipped:
        for test, why in result.skipped:
            print(f"skipped: {test.id()}: {why}", file=sys.stderr)
        if os.environ.get("CI") == "true":
            print("CI=true: a skipped test is a failure", file=sys.stderr)
            return 1
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
