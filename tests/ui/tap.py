"""TAP output and polling shared by Hangar's UI tests (run by Debian's
/usr/bin/python3, which has gi and pyatspi)."""
import time

from gi.repository import GLib


class Failure(Exception):
    pass


_n = 0
_prefix = ''
_t0 = time.monotonic()
_timed = False


def configure(prefix='', timed=False):
    """prefix goes before each description; timed appends the seconds since start."""
    global _prefix, _timed
    _prefix = prefix
    _timed = timed


def count():
    return _n


def ok(description):
    global _n
    _n += 1
    when = f' ({time.monotonic() - _t0:.1f} s)' if _timed else ''
    print(f'ok {_n} - {_prefix}{description}{when}', flush=True)


def not_ok(description, why):
    global _n
    _n += 1
    print(f'not ok {_n} - {_prefix}{description}', flush=True)
    diag(why)


def diag(text):
    for line in str(text).splitlines():
        print(f'# {line}', flush=True)


def pump():
    """Let libatspi read what the bus delivered (events, replies)."""
    ctx = GLib.MainContext.default()
    while ctx.iteration(False):
        pass


def wait_for(what, predicate, timeout, interval=0.05):
    """Polls predicate until it returns a true value; returns that value.
    On timeout raises Failure naming `what` and the last value seen."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        pump()
        try:
            last = predicate()
        except (GLib.Error, LookupError) as e:
            # Objects vanish while a page is rebuilt: try again.
            last = f'<{type(e).__name__}: {e}>'
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            raise Failure(f'timed out after {timeout:.1f} s waiting for {what}; last seen: {last!r}')
        time.sleep(interval)
