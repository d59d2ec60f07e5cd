"""irax.profiler (as jax.profiler): a trace file in TensorBoard's layout, Chrome trace-event
JSON inside, holding the annotations' spans and irax.jit's lower / compile / execute spans.

The file is parsed with the standard library (gzip + json); the memory profile is read
with a protobuf wire-format walk written here from the pprof profile.proto field numbers."""
from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

import irax
import irax.numpy as jnp
from irax import profiler


def _events(log_dir):
    files = list(log_dir.glob("plugins/profile/*/*.trace.json.gz"))
    assert len(files) == 1, files
    with gzip.open(files[0], "rt") as f:
        doc = json.load(f)
    return [e for e in doc["traceEvents"] if e.get("ph") == "X"], files[0]


def test_trace_file_has_annotations_and_jit_spans(tmp_path):
    f = irax.jit(lambda a, b: jnp.tanh(a) * b + 1.0, tiered=False)
    deco = profiler.annotate_function(lambda v: f(v, v), name="decorated")
    x = np.linspace(-1, 1, 5).astype(np.float32)
    with profiler.trace(tmp_path, create_perfetto_trace=True):
        with profiler.TraceAnnotation("outer", tag="t"):
            y = f(x, x)
            for step in range(2):
                with profiler.StepTraceAnnotation("train", step_num=step):
                    deco(x)
    np.testing.assert_allclose(y, np.tanh(x) * x + 1, rtol=1e-6)
    events, path = _events(tmp_path)
    names = [e["name"] for e in events]
    for want in ("outer", "train", "decorated", "lower <lambda>", "compile <lambda>",
                 "execute <lambda>"):
        assert want in names, (want, names)
    assert names.count("train") == 2 and names.count("decorated") == 2
    assert names.count("execute <lambda>") == 3
    outer = events[names.index("outer")]
    assert outer["args"] == {"tag": "t"}
    steps = [e for e in events if e["name"] == "train"]
    assert [e["args"]["step_num"] for e in steps] == ["0", "1"]
    # nesting: every span inside "outer" starts and ends within it
    for e in events:
        if e is not outer:
            assert outer["ts"] <= e["ts"] and e["ts"] + e["dur"] <= outer["ts"] + outer["dur"]
    # the Perfetto copy has the same events and no "metadata" entry
    with gzip.open(path.parent / "perfetto_trace.json.gz", "rt") as fh:
        perfetto = json.load(fh)
    assert "metadata" not in perfetto
    assert [e["name"] for e in perfetto["traceEvents"] if e.get("ph") == "X"] == names


def test_start_stop_errors_and_no_trace_outside(tmp_path):
    with pytest.raises(RuntimeError, match="No profile started"):
        profiler.stop_trace()
    with profiler.TraceAnnotation("not recorded"):
        pass
    profiler.start_trace(tmp_path)
    try:
        with pytest.raises(RuntimeError, match="already been started"):
            profiler.start_trace(tmp_path)
        with profiler.TraceAnnotation("only"):
            pass
    finally:
        profiler.stop_trace()
    events, _ = _events(tmp_path)
    assert [e["name"] for e in events] == ["only"]
    with pytest.raises(NotImplementedError, match="start_server"):
        profiler.start_server(9999)
    with pytest.raises(NotImplementedError, match="perfetto_link"):
        profiler.start_trace(tmp_path, create_perfetto_link=True)


def _fields(buf):
    """(field number, wire type, value) of one protobuf message (varint / bytes only)."""
    i, out = 0, []
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        else:
            assert wt == 2, wt
            n, i = _varint(buf, i)
            v, i = buf[i:i + n], i + n
        out.append((num, wt, v))
    return out


def _varint(buf, i):
    shift = v = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return v, i


def test_device_memory_profile_is_pprof_of_live_arrays(tmp_path):
    keep = [jnp.zeros((7, 3), jnp.float32), jnp.zeros((7, 3), jnp.float32),
            jnp.ones(5, jnp.int32)]
    path = tmp_path / "mem.prof"
    profiler.save_device_memory_profile(path)
    msg = _fields(gzip.decompress(path.read_bytes()))
    strings = [v.decode() for n, _, v in msg if n == 6]
    assert strings[0] == ""
    types = [[v for _, _, v in _fields(b)] for n, _, b in msg if n == 1]
    assert [(strings[a], strings[b]) for a, b in types] == [("allocations", "count"),
                                                            ("space", "bytes")]
    funcs = {}
    for n, _, b in msg:
        if n == 5:
            f = dict((k, v) for k, _, v in _fields(b))
            funcs[f[1]] = strings[f[2]]
    samples = {}
    for n, _, b in msg:
        if n == 2:
            f = {k: v for k, _, v in _fields(b)}
            loc = _varint(f[1], 0)[0]
            count, i = _varint(f[2], 0)
            nbytes, _ = _varint(f[2], i)
            samples[funcs[loc]] = (count, nbytes)
    live = [a for a in irax.live_arrays() if a.shape == (7, 3) and a.dtype == np.float32]
    assert samples["float32[7, 3]"] == (len(live), len(live) * 7 * 3 * 4)
    assert samples["float32[7, 3]"][0] >= 2
    assert samples["int32[5]"][1] % 20 == 0
    del keep


def test_monitoring_reports_jit_compile_events_as_jax_names_them():
    import jax
    import jax.numpy as jnp_ref

    def listen(mon):
        got = []
        mon.register_event_duration_secs_listener(
            lambda event, secs, **kw: got.append((event, secs, kw.get("fun_name"))))
        return got

    got_j = listen(jax.monitoring)
    jax.jit(lambda v: jnp_ref.cos(v) * 3.0)(np.ones(2, np.float32))
    jax.monitoring.clear_event_listeners()
    got = listen(irax.monitoring)
    spans = []
    irax.monitoring.register_event_time_span_listener(
        lambda event, t0, t1, **kw: spans.append((event, t1 - t0)))

    def my_fn(v):
        return jnp.cos(v) * 3.0
    try:
        irax.jit(my_fn, tiered=False)(np.ones(2, np.float32))
    finally:
        irax.monitoring.clear_event_listeners()
    events = {e for e, _, _ in got}
    assert events == {"/jax/core/compile/jaxpr_to_mlir_module_duration",
                      "/jax/core/compile/backend_compile_duration"}
    assert events <= {e for e, _, _ in got_j}
    assert all(secs > 0 and name == "my_fn" for _, secs, name in got)
    assert sorted(e for e, _ in spans) == sorted(events)
    irax.monitoring.record_event("/my/event")   # no listener left: nothing happens
    with pytest.raises(AssertionError):
        irax.monitoring.unregister_event_listener(print)
    seen = []
    irax.monitoring.register_scalar_listener(lambda e, v, **kw: seen.append((e, v, kw)))
    irax.monitoring.record_scalar("/my/scalar", 2.5, unit="x")
    irax.monitoring.clear_event_listeners()
    assert seen == [("/my/scalar", 2.5, {"unit": "x"})]


def test_log_compiles_logs_in_jaxs_words(caplog):
    import logging

    def logged_fn(v):
        return v * 7.0 + 1.0
    with caplog.at_level(logging.WARNING, logger="irax.jit"):
        with irax.log_compiles(True):
            assert irax.log_compiles.value
            irax.jit(logged_fn, tiered=False)(np.ones(2, np.float32))
        # not logged (the same module: IREE's disk cache answers, lowering still runs)
        irax.jit(lambda v: v * 7.0 + 1.0, tiered=False)(np.ones(2, np.float32))
    assert not irax.log_compiles.value
    lines = [r.getMessage() for r in caplog.records if r.name == "irax.jit"]
    assert [ln.rsplit(" in ", 1)[0] for ln in lines] == [
        "Finished jaxpr to MLIR module conversion jit(logged_fn)",
        "Finished XLA compilation of jit(logged_fn)"]
