"""schemathesis hooks for `.ci/api-contract` (loaded through SCHEMATHESIS_HOOKS).

`POST /api/v1/events` also takes NDJSON (`application/x-ndjson`, one event per line), which the
document describes as text: send it as the text it is.
"""

import schemathesis

schemathesis.serializer.alias("application/x-ndjson", "text/plain")
