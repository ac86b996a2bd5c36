"""Integration tests: the wismo command's --help and -h for every subcommand, and its refusals.

Each call runs in an empty temporary directory, so a --help that opened a store or read a
./wismo.ini would show up as a file left behind.
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import WISMO, main  # noqa: E402

# Every subcommand, as the user types it before --help.
SUBCOMMANDS = [["serve"], ["demo"], ["migrate"], ["rebuild"], ["order"], ["keys"], ["keys", "create"],
               ["parse"], ["check"], ["erase"], ["track-link"], ["notify"], ["notify", "preview"],
               ["eval-predictions"], ["backup"], ["restore"]]


def run(*args):
    tmp = tempfile.mkdtemp(prefix="wismo-cli-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WISMO_")}
    r = subprocess.run([os.path.abspath(WISMO), *args], cwd=tmp, env=env, capture_output=True, text=True,
                       timeout=30)
    left = os.listdir(tmp)
    if not left:
        os.rmdir(tmp)
    return r, left


class Help(unittest.TestCase):
    def test_every_subcommand_answers_help(self):
        for sub in SUBCOMMANDS:
            for flag in ("--help", "-h"):
                with self.subTest(sub=sub, flag=flag):
                    r, left = run(*sub, flag)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    self.assertTrue(r.stdout.startswith(f"usage: wismo {sub[0]} "), r.stdout)
                    self.assertIn("--store defaults to", r.stdout)
                    self.assertEqual(r.stderr, "")
                    self.assertEqual(left, [], "--help left files behind")

    def test_help_after_arguments(self):
        for args in (["order", "1001", "--help"], ["track-link", "1001", "--days", "3", "-h"],
                     ["notify", "preview", "--rule", "shipped", "--help"], ["keys", "list", "--help"]):
            with self.subTest(args=args):
                r, left = run(*args)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertTrue(r.stdout.startswith(f"usage: wismo {args[0]} "), r.stdout)
                self.assertEqual(left, [])

    def test_top_level_help_lists_every_subcommand(self):
        for flag in ("--help", "-h", "help"):
            r, _ = run(flag)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(r.stdout.startswith("usage: wismo <command>"), r.stdout)
            for sub in SUBCOMMANDS:
                self.assertIn(f"\n  {sub[0]} ", r.stdout)
        r, _ = run()
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, "")
        self.assertIn("usage: wismo <command>", r.stderr)


class Refusals(unittest.TestCase):
    def test_unknown_option_fails_on_stderr(self):
        for sub in (["serve"], ["order", "1001"], ["track-link", "1001"], ["notify", "preview"]):
            with self.subTest(sub=sub):
                r, left = run(*sub, "--bogus")
                self.assertEqual(r.returncode, 2)
                self.assertEqual(r.stdout, "")
                self.assertIn("unrecognized option '--bogus'", r.stderr)
                self.assertIn(f"usage: wismo {sub[0]} ", r.stderr)
                self.assertEqual(left, [])

    def test_unknown_command_and_missing_arguments(self):
        r, _ = run("nosuch", "--help")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, "")
        self.assertIn("unknown command 'nosuch'", r.stderr)
        for args in (["notify"], ["notify", "send"], ["track-link"]):
            with self.subTest(args=args):
                r, _ = run(*args)
                self.assertEqual(r.returncode, 2)
                self.assertEqual(r.stdout, "")
                self.assertIn(f"usage: wismo {args[0]} ", r.stderr)


class EvalPredictions(unittest.TestCase):
    """docs/predictions.md "Measured": the targets hold on simulated histories
    of several seeds, and the command says when they do not."""

    def figures(self, out):
        cov = float(re.search(r"coverage: ([0-9.]+) %", out).group(1))
        ours, carrier = map(float, re.search(r"hours: wismo ([0-9.]+), carrier ([0-9.]+)", out).groups())
        return cov, ours, carrier

    def test_13_coverage_and_error_against_the_carrier(self):
        for seed in ("1", "7"):
            r, left = run("eval-predictions", "--seed", seed)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(left, [])
            cov, ours, carrier = self.figures(r.stdout)
            self.assertGreaterEqual(cov, 90.0)
            self.assertLess(ours, carrier)
            self.assertIn("targets met", r.stdout)

    def test_13_bad_options(self):
        for args in (["--weeks", "8"], ["--per-day", "0"], ["--seed", "x"], ["extra"]):
            r, _ = run("eval-predictions", *args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn("usage: wismo eval-predictions", r.stderr)


if __name__ == "__main__":
    main()
