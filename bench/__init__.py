"""BotBeat's benchmark: tooling, not the product (STYLE.md, "The shape of the code").

`uv run manage.py benchmark` (botbeat/management/commands/benchmark.py) runs `bench.runner`.
The pieces, by concern:

- `settings.py`, `urls.py`, `ceiling.py`: the server under test runs with `bench.settings`,
  which is botbeat's plus a URLconf that adds the ceiling view; the production URLconf has no
  benchmark route.
- `server.py`: the servers (gunicorn sync and gthread, granian, uvicorn) and what is read from
  /proc about them (workers, memory, CPU).
- `load.py`: wrk, its Lua scripts (one path, a rotation, a Zipf-weighted mix) and its output.
- `scenarios.py`: what is measured: the endpoints of the per-endpoint table, the URL mix and
  its Zipf weights, the phases (writes per second).
- `writers.py`: the writers of a phase, a process of their own (`python -m bench.writers`):
  comment posts or sign-ins at a steady rate, over HTTP.
- `report.py`: the Markdown report, the targets and the PNG chart.
- `runner.py`: the run, size by size.

`writers.py`, `load.py` and `server.py` import nothing of Django: `python -m bench.writers`
starts in milliseconds.
"""
