"""Background jobs of one visitor (an evaluation, a training run): a thread, its progress, a cancel flag.

A job lives in the visitor's ``st.session_state``, so two sessions never see each other's jobs. The thread
never calls Streamlit: it only writes the job's fields, and the page polls them (a fragment that reruns
every second while the job runs). Finished results go into a small store shared by every visitor
(``st.cache_resource``), keyed by what was computed (data fingerprint + settings), so the same
evaluation is not run twice.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from dashboard.replay_view import plain
from engine import api

KEEP_RESULTS = 16  # finished results kept for every visitor (oldest dropped first)


class CancelledError(Exception):
    """Raised inside a job's work when the visitor pressed Cancel."""


@dataclass
class Job:
    """One visitor's background work: ``progress`` in [0, 1] and ``text`` follow it; ``records`` collect
    what the work reports along the way (a training run's epochs); ``result`` or ``error`` when done."""

    key: str
    label: str
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: float = 0.0
    text: str = "starting…"
    records: list[dict[str, Any]] = field(default_factory=list)
    result: Any = None
    error: str | None = None
    cancelled: bool = False
    started: float = field(default_factory=time.time)
    finished: float | None = None
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.finished is None

    @property
    def seconds(self) -> float:
        return (self.finished or time.time()) - self.started

    def report(self, fraction: float, text: str) -> None:
        """Progress from the work; raises :class:`CancelledError` once Cancel was pressed (the work stops)."""
        if self.cancel.is_set():
            raise CancelledError
        self.progress, self.text = max(0.0, min(float(fraction), 1.0)), text


class ResultStore:
    """Finished results by key, shared by every visitor (values, never changed after they are stored)."""

    def __init__(self, keep: int = KEEP_RESULTS) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._keep = keep

    def get(self, key: str) -> Any:
        with self._lock:
            return self._items.get(key)

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._keep:
                self._items.popitem(last=False)


@st.cache_resource
def results() -> ResultStore:
    return ResultStore()


def current(session_key: str) -> Job | None:
    job = st.session_state.get(session_key)
    return job if isinstance(job, Job) else None


def start(session_key: str, key: str, label: str, work: Callable[[Job], Any]) -> Job:
    """Run ``work(job)`` in a thread as this visitor's job under ``session_key`` (a running one of the
    same visitor is cancelled first); its result is stored under ``key`` for every visitor."""
    previous = current(session_key)
    if previous is not None and previous.running:
        previous.cancel.set()
    job = Job(key=key, label=label)
    store = results()

    def run() -> None:
        try:
            job.result = work(job)
            store.put(key, job.result)
        except CancelledError:
            job.cancelled, job.error = True, "cancelled"
        except api.DataError as err:
            job.error = str(err)
        except Exception as err:  # shown as a message on the page, never as a traceback
            job.error = f"{type(err).__name__}: {err}"
        finally:
            job.progress = 1.0 if job.error is None else job.progress
            job.finished = time.time()

    job.thread = threading.Thread(target=run, name=f"job-{label}", daemon=True)
    st.session_state[session_key] = job
    job.thread.start()
    return job


def show(session_key: str, key: str, shown: bool) -> None:
    """This visitor's job under ``session_key`` on the page: a progress bar while it runs, then a note
    if it was cancelled or failed; a full rerun once the result for ``key`` arrived and is not ``shown``
    yet. Call it from a fragment that reruns every second while the job runs."""
    job = current(session_key)
    if job is None:
        return
    if job.running:
        st.progress(job.progress, text=f"{job.label}: {job.text} · {job.seconds:.0f} s")
        return
    if job.key == key and job.result is not None and not shown:
        st.rerun()  # the result just arrived
    if job.cancelled:
        st.caption(f"The {job.label} was cancelled after {job.seconds:.0f} s.")
    elif job.error:
        st.error(f"The {job.label} failed: {plain(job.error)}")
