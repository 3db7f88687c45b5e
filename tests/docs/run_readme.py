#!/usr/bin/python3
"""Runs every code block of README.md as printed (issue: docs that run).

  run_readme.py REPO_ROOT BUILD_DIR [--list]

Blocks by language: ```c is compiled against the build tree's library and run; ```python runs with
Debian's /usr/bin/python3 and the in-tree binding; ```sh / ```bash runs with bash -e; ```go is built
as a main package against bindings/go/llmdata and run.  Every block runs from a scratch directory
that mirrors the repo root (examples/, build/, bindings/, include/, tests/ are links), so relative
paths work as printed and outputs land in the scratch directory.  ```json / ```text blocks are data.
A block preceded by an HTML comment `<!-- not run: REASON -->` is listed as skipped with its reason
(the quick-start commands that build the tree this test runs in, and the test command itself).
Prints one line per block and "docs: N passed, N failed, N skipped"; exits 1 on any failure.
"""
import os, re, shutil, subprocess, sys, tempfile

root, build = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
text = open(os.path.join(root, "README.md"), encoding="utf-8").read()
blocks = []
for m in re.finditer(r"(?:<!--\s*not run:\s*(?P<why>.*?)\s*-->\s*\n)?```(?P<lang>[a-z]*)\n(?P<body>.*?)```", text, re.S):
    line = text.count("\n", 0, m.start("lang")) + 1
    blocks.append((line, m.group("lang"), m.group("body"), m.group("why")))
if "--list" in sys.argv:
    for b in blocks:
        print(b[0], b[1], "skip" if b[3] else "run")
    sys.exit(0)

lib = os.path.join(build, "lib")
env = dict(os.environ, LD_LIBRARY_PATH=lib, LLMDATA_LIBRARY=os.path.join(lib, "libllmdata.so"),
           PYTHONPATH=os.path.join(root, "bindings", "python"),
           PKG_CONFIG_PATH=os.path.join(build, "meson-uninstalled"))


def scratch():
    d = tempfile.mkdtemp(prefix="llmd_readme_")
    for name in ("examples", "bindings", "include", "tests", "lib"):
        os.symlink(os.path.join(root, name), os.path.join(d, name))
    os.symlink(build, os.path.join(d, "build"))
    return d


def run(cmd, cwd, stdin=None):
    p = subprocess.run(cmd, cwd=cwd, env=env, input=stdin, capture_output=True, timeout=600)
    return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")


def run_block(lang, body):
    d = scratch()
    try:
        if lang == "c":
            src = os.path.join(d, "block.c")
            open(src, "w").write(body)
            rc, out = run(["cc", "-std=c11", "-Wall", "-Werror", "-I", os.path.join(root, "include"), src,
                           "-L", lib, "-lllmdata", "-o", os.path.join(d, "block")], d)
            return (rc, out) if rc else run([os.path.join(d, "block")], d)
        if lang == "python":
            return run(["/usr/bin/python3", "-"], d, body.encode())
        if lang in ("sh", "bash"):
            return run(["bash", "-e", "-o", "pipefail", "-c", body], d)
        if lang == "go":
            mod = os.path.join(d, "gomain")
            os.mkdir(mod)
            open(os.path.join(mod, "main.go"), "w").write(body)
            open(os.path.join(mod, "go.mod"), "w").write(
                "module readme\n\ngo 1.19\n\nrequire github.com/libllmdata/libllmdata/bindings/go/llmdata v0.0.0\n\n"
                "replace github.com/libllmdata/libllmdata/bindings/go/llmdata => %s\n" % os.path.join(root, "bindings/go/llmdata"))
            rc, out = run(["go", "build", "-o", os.path.join(d, "gobin"), "."], mod)
            return (rc, out) if rc else run([os.path.join(d, "gobin")], d)
        return None
    finally:
        shutil.rmtree(d, ignore_errors=True)


passed = failed = skipped = 0
for line, lang, body, why in blocks:
    if why:
        skipped += 1
        print(f"skip README.md:{line} ({lang}): {why}")
        continue
    res = run_block(lang, body)
    if res is None:
        continue                      # data, not code
    rc, out = res
    if rc == 0:
        passed += 1
        print(f"ok   README.md:{line} ({lang})")
    else:
        failed += 1
        print(f"FAIL README.md:{line} ({lang}) exit {rc}:\n" + "\n".join("     " + l for l in out.splitlines()[-30:]))
print(f"docs: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
