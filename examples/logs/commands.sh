#!/usr/bin/env bash
# Commands of the logs page, one section each (not a script to run as a whole).
exit 0

# --8<-- [start:json-format]
aws lambda update-function-configuration --function-name orders \
    --logging-config LogFormat=JSON,ApplicationLogLevel=INFO
# --8<-- [end:json-format]

# --8<-- [start:invoke-json]
lambda-otel-lite invoke examples/logs/orders.py:handler --event examples/logs/event.json \
    --env AWS_LAMBDA_LOG_FORMAT=JSON --env AWS_LAMBDA_LOG_LEVEL=INFO
# --8<-- [end:invoke-json]

# --8<-- [start:invoke-text]
lambda-otel-lite invoke examples/logs/text_format.py:handler --event examples/logs/event.json
# --8<-- [end:invoke-text]

# --8<-- [start:insights]
aws logs start-query --log-group-name /aws/lambda/orders \
    --start-time "$(date -d '-1 hour' +%s)" --end-time "$(date +%s)" \
    --query-string 'fields @timestamp, level, message, otelSpanID
                    | filter otelTraceID = "3aec024ac20835d925c15c7ad9bab9a9" | sort @timestamp'
# --8<-- [end:insights]

# --8<-- [start:off]
LAMBDA_OTEL_LITE_LOG_CORRELATION=false   # no ids on log records
# --8<-- [end:off]
