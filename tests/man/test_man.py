#!/usr/bin/python3
"""test_man.py - the man pages the build makes (man/meson.build) say what --help and
docs/config.md say, and render without warnings.

    WISMO_BIN=... WISMO_MAN1=.../wismo.1 WISMO_MAN5=.../wismo.ini.5 WISMO_CONFIG_MD=docs/config.md

Checks: every command of `wismo --help` (main.c's usage table) is in wismo(1) with the synopsis
`wismo NAME --help` prints; every [section] of docs/config.md's INI blocks is in wismo.ini(5);
groff (-ww) and, when Debian's mandoc is installed, mandoc -Tlint (-W warning) render both with
no warning.  Prints "N passed, N failed".
"""
import os
import re
import shutil
import subprocess
import sys

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)


def plain(roff):
    """The roff source as text: fonts dropped, escapes undone, for comparing with --help."""
    roff = re.sub(r"\\f[BIRP]", "", roff)
    return roff.replace("\\-", "-").replace("\\&", "").replace("\\e", "\\")


def main():
    wismo = os.environ["WISMO_BIN"]
    man1, man5 = os.environ["WISMO_MAN1"], os.environ["WISMO_MAN5"]
    with open(man1, encoding="utf-8") as f:
        page1 = plain(f.read())
    with open(man5, encoding="utf-8") as f:
        page5 = plain(f.read())
    with open(os.environ["WISMO_CONFIG_MD"], encoding="utf-8") as f:
        config_md = f.read()

    # the usage table, as --help lists it: "  NAME  summary" rows, two spaces in
    helptext = subprocess.run([wismo, "--help"], capture_output=True, text=True, check=True).stdout
    names = re.findall(r"^  ([a-z][a-z-]*) ", helptext, re.M)
    check(len(names) >= 10, "wismo --help lists %d commands, expected the whole usage table" % len(names))
    for name in names:
        usage = subprocess.run([wismo, name, "--help"], capture_output=True, text=True).stdout
        first = usage.splitlines()[0] if usage else ""
        check(first.startswith("usage: wismo " + name), "%s --help: %r" % (name, first))
        line = first[len("usage: "):]
        check(("\n" + line + "\n") in page1, "wismo(1) lacks the line %r" % line)

    blocks = "".join(re.findall(r"^```ini\n(.*?)^```", config_md, re.M | re.S))
    sections = sorted(set(re.findall(r"^(\[[a-z_.]+(?: [a-z_]+)?\])", blocks, re.M)))
    check(len(sections) >= 20, "docs/config.md: %d sections found" % len(sections))
    for s in sections:
        check(s in page5, "wismo.ini(5) lacks %s" % s)

    for page in (man1, man5):
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page], capture_output=True, text=True)
        check(r.returncode == 0 and not r.stderr, "groff %s: %s" % (page, r.stderr.strip()))
        if shutil.which("mandoc"):
            r = subprocess.run(["mandoc", "-Tlint", "-W", "warning", page], capture_output=True, text=True)
            check(r.returncode == 0 and not (r.stdout + r.stderr).strip(),
                  "mandoc -Tlint %s: %s" % (page, (r.stdout + r.stderr).strip()))
        else:
            print("mandoc is not installed (scripts/deps.sh test installs it): groff only")
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
