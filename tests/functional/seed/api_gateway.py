# The "Example with API Gateway" code of the seed README, verbatim, after its init line.
from lambda_otel_lite import init_telemetry, traced_handler

tracer, provider = init_telemetry(name="my-service")

def process_request(event):
    pass

def handler(event, context):
    with traced_handler(tracer, provider, "api-handler", event, context):
        # HTTP attributes are automatically set based on event
        process_request(event)
        return {
            "statusCode": 200,  # Will be set as http.status_code
            "body": "Success"
        }

def error_handler(event, context):
    with traced_handler(tracer, provider, "api-handler", event, context):
        return {
            "statusCode": 500,  # Will set http.status_code and span status ERROR
            "body": "Internal error"
        }
