# Varnish in front of BotBeat's app servers: it keeps the public answers as long as their
# `s-maxage` allows, and drops exactly those a write changed when BotBeat purges their keys
# (botbeat/purge.py, VarnishPurger: `PURGE /` with the keys in `xkey-purge`). Its hits count
# against no rate limit: those are the app's (RateLimit headers only on what the app answered).
# Needs Debian's `varnish` and `varnish-modules` (the xkey module). tests/test_edge.py runs it
# for real.
vcl 4.1;

import std;
import xkey;

# The app server (or the balancer in front of several); tests/test_edge.py rewrites the port.
backend default {
    .host = "127.0.0.1";
    .port = "8000";
}

# Who may purge: the app servers. Set to their addresses.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "Name the keys in xkey-purge"));
        }
        set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.n-gone));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # A preview link's answer is for its holder alone (articles/previews.py): never looked up,
    # never kept, whoever sends it.
    if (req.url ~ "[?&]preview=") {
        return (pass);
    }
    # Signed-in requests go to the app, which serves readers from its own shared cache and staff
    # what they alone may see.
    if (req.http.Authorization || req.http.Cookie ~ "(^|;\s*)sessionid=") {
        return (pass);
    }
    # Nothing else in a cookie changes a public answer (the CSRF cookie is for writes).
    unset req.http.Cookie;
    # Parameters in another order are the same answer (the app's cache does the same).
    set req.url = std.querysort(req.url);
    return (hash);
}

sub vcl_backend_response {
    # The app names what each public answer shows; xkey indexes the object by those keys.
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
    # Only what the app marks public is kept (errors, staff's answers and personal ones are not).
    if (beresp.http.Cache-Control !~ "public") {
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
    }
    return (deliver);
}

sub vcl_deliver {
    # The keys are for this cache: clients need none of them.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
    unset resp.http.Cache-Tag;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "hit";
        # The rate limits are the app's, counted per client there. An answer from this cache
        # counted against none, and the object holds the headers of whoever fetched it: a hit
        # carries neither header. (Unset here, not in vcl_backend_response, so that the
        # request that fetched the object still gets its own.)
        unset resp.http.RateLimit;
        unset resp.http.RateLimit-Policy;
    } else {
        set resp.http.X-Cache = "miss";
    }
}
