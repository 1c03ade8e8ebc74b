"""The schema check: the OpenAPI schema the code serves, against the one committed.

Third parties build clients from `schema/openapi.yaml`. `python -m schemacheck` fails when
that copy is stale (the API changed and its schema did not, in the same commit) and when the
API broke a client of the baseline (a removal, a retyping, a new requirement) without the
break being listed in `schema/intended-breaks.txt`. Tooling, not product: nothing here is
imported by the apps or routed.
"""
