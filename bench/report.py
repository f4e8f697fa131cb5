"""results.json as Markdown tables (pasted into docs/benchmarks.md)."""

from __future__ import annotations

from typing import Any


def _machine(results: dict[str, Any]) -> list[str]:
    m = results["machine"]
    return [
        f"- Date: {results['date']}; command: `{results['command']}`",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"Python {m['python']}, {m['wrk']}",
        f"- Load average at start {m['load_average_at_start']}, at end "
        f"{m.get('load_average_at_end', '?')}",
        f"- CPU speed (a fixed Python loop, ms; lower is faster) at start "
        f"{m.get('cpu_speed_ms_at_start', '?')}, at end {m.get('cpu_speed_ms_at_end', '?')}",
        f"- Server (both sides): `{results['gunicorn']}`",
        "",
    ]


def _intake(r: dict[str, Any]) -> list[str]:
    lines = [
        f"### Single intake (wrk, interleaved bare/full x{len(r['runs']['full'])}, median)",
        "",
        f"{r['seconds_per_run']} s per run, {r['connections']} connections.",
        "",
        "| view | req/s runs | median req/s | p50 ms | p95 ms | p99 ms | non-2xx |",
        "|---|---|---|---|---|---|---|",
    ]
    for side, label in (("bare", "bare DRF insert"), ("full", "full pipeline")):
        med = r["median"][side]
        runs = ", ".join(f"{x['rps']:.0f}" for x in r["runs"][side])
        lines.append(
            f"| {label} | {runs} | {med['rps']:.0f} | {med['p50_ms']:.1f} | {med['p95_ms']:.1f} "
            f"| {med['p99_ms']:.1f} | {sum(int(x['non2xx']) for x in r['runs'][side])} |"
        )
    lines += ["", f"**Ratio full / bare: {r['ratio']:.2f}**", ""]
    if r.get("round_ratios"):
        each = ", ".join(f"{x:.2f}" for x in r["round_ratios"])
        lines += [
            f"Each round's full / bare (the two runs seconds apart): {each}; "
            f"median {r['round_ratio_median']:.2f}.",
            "",
        ]
    if "web_cpu_ms" in r["median"]["full"]:
        lines += [
            "CPU per request in the median run, ms (the web's processes, the database backends "
            "serving them, wrk):",
            "",
            "| view | web | database | wrk |",
            "|---|---|---|---|",
        ]
        for side in ("bare", "full"):
            med = r["median"][side]
            lines.append(
                f"| {side} | {med['web_cpu_ms']} | {med['db_cpu_ms']} | {med['wrk_cpu_ms']} |"
            )
        lines.append("")
    p99s = r.get("half_load_p99s")
    lines += [
        "Latency at half of each side's maximum (fixed rate, from the moment each request was "
        "due"
        + (
            f"; the run with the median p99 of {len(p99s['full'])} per side, interleaved):"
            if p99s
            else "):"
        ),
        "",
        "| view | rate req/s | achieved | p50 ms | p95 ms | p99 ms | max ms | statuses |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for side in ("bare", "full"):
        h = r["half_load"][side]
        lat = h["latency_ms"]
        lines.append(
            f"| {side} | {h['rate']} | {h['achieved_rps']} | {lat['p50']} | {lat['p95']} | "
            f"{lat['p99']} | {lat['max']} | {h['statuses']} |"
        )
    if p99s:
        lines += [
            "",
            "Every run's p99, ms: "
            + "; ".join(f"{side} {', '.join(str(v) for v in p99s[side])}" for side in p99s)
            + ".",
        ]
    mem = r["web_memory"]
    lines += [
        "",
        f"Web peak RSS: master {mem['main_peak_mib']} MiB, worker {mem['child_peak_mib']} MiB.",
        "",
    ]
    merged = r.get("counts", {}).get("merged")
    if merged is not None:
        lines += [
            f"Kept contacts whose person was already there (merges): {merged} "
            "(0 expected: every post is a new person).",
            "",
        ]
    return lines


def _batch(r: dict[str, Any]) -> list[str]:
    s = r["seconds_per_batch"]
    return [
        "### Batch intake",
        "",
        f"{r['batches']} batches of {r['batch_size']}: median {s['median']} s per batch "
        f"(min {s['min']}, max {s['max']}), **{r['contacts_per_second']} contacts/s**; "
        f"item statuses {r['item_statuses']}; web worker peak RSS "
        f"{r['web_memory']['child_peak_mib']} MiB.",
        "",
    ]


def _profile(r: dict[str, Any]) -> list[str]:
    return [
        "### Intake profile (in-process, pyinstrument)",
        "",
        f"{r['requests']} posts (best of two turns): {r['ms_per_request']} ms per request "
        "without the profiler "
        f"({r.get('cpu_ms_per_request', '?')} ms of CPU in the Python process, "
        f"{r.get('db_cpu_ms_per_request', '?')} ms in its PostgreSQL backend), "
        f"{r['queries_per_request']} queries per accepted contact; statuses {r['statuses']}. "
        f"The bare view, timed in turn: {r.get('bare_cpu_ms_per_request', '?')} ms of CPU in "
        f"the Python process and {r.get('bare_db_cpu_ms_per_request', '?')} ms in the backend; "
        f"CPU ratio bare/full {r.get('cpu_ratio', '?')}. WAL per post (the database's "
        f"write work, lower of two turns): {r.get('wal_bytes_per_request', '?')} bytes, the "
        f"bare view {r.get('bare_wal_bytes_per_request', '?')}.",
        "",
        "| statement (start) | count | mean ms (wall, waits included) |",
        "|---|---|---|",
        *(
            f"| `{kind}` | {v['count']} | {v['mean_ms']} |"
            for kind, v in r.get("statement_ms", {}).items()
        ),
        "",
    ]


def _admin(r: dict[str, Any]) -> list[str]:
    lines = [
        f"### Admin with {r['events']:,} intake events",
        "",
        f"Events generated in {r['generate_seconds']} s. Each page: one warm-up, then five "
        "requests one at a time through gunicorn with a staff session.",
        "",
        "| page | median ms | max ms | status | bytes |",
        "|---|---|---|---|---|",
    ]
    for name, page in r["pages"].items():
        lines.append(
            f"| {name} (`{page['path']}`) | {page['median_ms']} | {page['max_ms']} | "
            f"{page['status']} | {page['bytes']:,} |"
        )
    return [*lines, ""]


def _import(r: dict[str, Any]) -> list[str]:
    lines = [
        "### CSV import (one worker process, `--pool=solo`)",
        "",
        "| rows | CSV MiB | seconds | rows/s | imported | worker peak RSS MiB |",
        "|---|---|---|---|---|---|",
    ]
    for run in r["runs"]:
        lines.append(
            f"| {run['rows']:,} | {run['csv_mib']} | {run['seconds']} | {run['rows_per_second']} "
            f"| {run['imported']:,} | {run['worker_peak_rss_mib']} |"
        )
    lines += ["", f"Peak growth from 10x fewer rows: {r['peak_growth_mib']} MiB.", ""]
    return lines


def _generic(name: str, r: dict[str, Any]) -> list[str]:
    lines = [f"### {name}", ""]
    for key, value in r.items():
        lines.append(f"- {key}: {value}")
    return [*lines, ""]


def markdown(results: dict[str, Any]) -> str:
    lines = ["## Results", "", *_machine(results)]
    renderers = {
        "intake": _intake,
        "batch": _batch,
        "profile": _profile,
        "admin": _admin,
        "import": _import,
    }
    for step in ("intake", "batch", "callbacks", "profile", "admin", "import"):
        if step in results:
            render = renderers.get(step)
            if render is None or "error" in results[step]:
                lines += _generic(step, results[step])
            else:
                lines += render(results[step])
    return "\n".join(lines) + "\n"
