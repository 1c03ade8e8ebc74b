"""The schema check: the OpenAPI schema the code serves, against the one committed.

Third parties build clients from `schema/openapi.yaml`, which every API change updates in the
same commit. `python -m schemacheck` fails when that copy is stale (the code serves another
schema), and when the served schema breaks a client of the baseline (a removal, a retyping, a
new requirement: compare.py) without the break being listed in `schema/intended-breaks.txt`.
The baseline is the working tree's copy, which shows a developer the breaks before they update
it; CI passes `--base REV`, the copy committed before the change, since once updated the
working tree's copy agrees with the code whatever broke. Tooling, not product: nothing of the
apps imports it, and it adds no route.
"""
