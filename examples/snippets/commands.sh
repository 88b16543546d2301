#!/usr/bin/env bash
# Shell commands shown in the documentation, one section each (not a script to run as a whole).
exit 0

# --8<-- [start:install]
pip install lambda-otel-lite
# --8<-- [end:install]

# --8<-- [start:install-local]
pip install "lambda-otel-lite[local]"
# --8<-- [end:install-local]

# --8<-- [start:invoke-quickstart]
lambda-otel-lite invoke examples/quickstart/handler.py:handler --event examples/quickstart/event.json
# --8<-- [end:invoke-quickstart]

# --8<-- [start:invoke-own]
lambda-otel-lite invoke handler.py:handler --event event.json
# --8<-- [end:invoke-own]

# --8<-- [start:invoke-async]
lambda-otel-lite invoke examples/orders_api/orders.py:handler --event examples/orders_api/event.json \
    --mode async --times 2 --shutdown
# --8<-- [end:invoke-async]

# --8<-- [start:decode]
aws logs tail /aws/lambda/orders-api --since 10m > orders.log
lambda-otel-lite decode orders.log            # a span tree per trace
lambda-otel-lite decode --json orders.log     # OTLP JSON
# --8<-- [end:decode]

# --8<-- [start:modes]
LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE=async      # export after the response (recommended)
LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE=sync       # export before the handler returns (default)
LAMBDA_EXTENSION_SPAN_PROCESSOR_MODE=finalize   # your processors export; SIGTERM flushes
# --8<-- [end:modes]

# --8<-- [start:bench]
./noxw -s bench                 # the whole field benchmark (about 15 minutes on 2 cores)
./noxw -s bench -- --quick      # a smoke run
# --8<-- [end:bench]

# --8<-- [start:pytest]
pytest examples/testing
# --8<-- [end:pytest]
