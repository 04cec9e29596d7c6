-- wrk script: the same request a dispatcher sends, a generic-dialect POST to
-- /hook/g1 with its Idempotency-Key, on keep-alive connections.
wrk.method = "POST"
wrk.body = '{"group":"g1","post":"1","kind":"post","text":"benchmark fan-out: good morning!"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Idempotency-Key"] = "1:g1"
