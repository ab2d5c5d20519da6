"""deploy/chain/launcher.py, the one way every chain here is started: its
template rules, and start/stop against small stand-in processes (no
mailpipe binary needed)."""
import os
import shutil
import signal
import sys
import tempfile
import time
import unittest

from harness import launcher


def python(code):
    return [sys.executable, "-c", code]


class Templates(unittest.TestCase):
    def render(self, template, values, extra=""):
        return launcher.render_text(template, values, extra, source="t.conf.in")

    def test_placeholders_lists_and_blocks(self):
        template = ('name: "@name@"\nendpoint: "@endpoint@"\n'
                    "@if port\nport: @port@\n@else\n# port: default\n@endif\n"
                    "@if outer\nouter\n@if inner\ninner\n@endif\n@endif\n")
        self.assertEqual(self.render(template, {"name": "a", "endpoint": ["x", "y"], "port": "25",
                                                "outer": "1", "inner": ""}),
                         'name: "a"\nendpoint: "x"\nendpoint: "y"\nport: 25\nouter\n')
        self.assertEqual(self.render(template, {"name": "a", "endpoint": "x"}, extra="more: 1"),
                         'name: "a"\nendpoint: "x"\n# port: default\nmore: 1\n')

    def test_a_missing_value_or_an_open_block_is_an_error_with_its_line(self):
        with self.assertRaisesRegex(launcher.TemplateError, r"t\.conf\.in:2: no value for @port@"):
            self.render("a: 1\nport: @port@\n", {})
        with self.assertRaisesRegex(launcher.TemplateError, "@if without @endif"):
            self.render("@if a\nx\n", {"a": "1"})
        with self.assertRaisesRegex(launcher.TemplateError, r"t\.conf\.in:1: misplaced @endif"):
            self.render("@endif\n", {})

    def test_every_template_names_only_what_it_is_given(self):
        for name in ("msa", "mta", "mda", "mailpipectl"):
            with self.subTest(name), self.assertRaises(launcher.TemplateError):
                launcher.render(name, {})


class Processes(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mailpipe-it-launcher-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.log = os.path.join(self.dir, "p.log")

    def start(self, code, timeout=10):
        process = launcher.start("p", python(code), self.log, timeout)
        self.addCleanup(launcher.kill, process)
        return process

    def test_ready_is_the_event_in_the_log_and_a_restart_waits_for_a_new_one(self):
        code = "import time; time.sleep(0.3); print('event=ready', flush=True); time.sleep(60)"
        first = self.start(code)
        self.assertIsNone(first.poll())
        self.assertEqual(launcher.stop(first), -signal.SIGTERM)
        started = time.monotonic()
        self.start(code)  # the first run's event=ready is already in the log
        self.assertGreaterEqual(time.monotonic() - started, 0.3)
        self.assertEqual(launcher.read_log(self.log).count("event=ready"), 2)

    def test_an_exit_during_start_up_says_so_with_the_last_lines(self):
        with self.assertRaisesRegex(launcher.StartError,
                                    r"p exited during start-up \(status 3\); last lines of .*p\.log:\nbind failed"):
            self.start("import sys; print('bind failed', flush=True); sys.exit(3)")

    def test_no_event_within_the_bound_stops_the_process(self):
        with self.assertRaisesRegex(launcher.StartError, r"p did not log event=ready within 0\.5 s"):
            self.start("import time; print('starting', flush=True); time.sleep(60)", timeout=0.5)

    def test_stop_is_sigterm_then_sigkill_after_the_bound(self):
        process = self.start("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                             "print('event=ready', flush=True); time.sleep(60)")
        started = time.monotonic()
        self.assertEqual(launcher.stop(process, timeout=0.5), -signal.SIGKILL)
        self.assertLess(time.monotonic() - started, 5)


if __name__ == "__main__":
    unittest.main()
