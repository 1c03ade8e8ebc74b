"""Reading the RateLimit headers in tests: a list of one member per limit (botbeat.throttles)."""


def members(header: str) -> dict[str, str]:
    """`RateLimit-Policy` or `RateLimit` as {scope: its member}, in the header's order."""
    found = {}
    for member in header.split(", "):
        scope = member.split(";", 1)[0]
        assert scope.startswith('"') and scope.endswith('"'), header
        found[scope.strip('"')] = member
    return found


def parameters(member: str) -> dict[str, int]:
    """`"read";r=599;t=60` as {"r": 599, "t": 60}."""
    return {name: int(value) for name, value in (p.split("=") for p in member.split(";")[1:])}
