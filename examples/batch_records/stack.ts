// Partial batch responses turned on with the AWS CDK, for the documentation (docs/batches.md).
// Without reportBatchItemFailures Lambda ignores the function's batchItemFailures: the invocation
// succeeded, so the whole batch counts as processed.
import { Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, KinesisEventSource, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';

export function addBatchSources(
  stack: Stack,
  worker: lambda.Function,
  table: dynamodb.ITable, // with a stream
): void {
  const queue = new sqs.Queue(stack, 'Orders');
  const stream = new kinesis.Stream(stack, 'OrdersStream');
  // --8<-- [start:cdk]
  worker.addEventSource(new SqsEventSource(queue, { reportBatchItemFailures: true }));
  worker.addEventSource(
    new KinesisEventSource(stream, {
      startingPosition: lambda.StartingPosition.LATEST,
      reportBatchItemFailures: true,
    }),
  );
  worker.addEventSource(
    new DynamoEventSource(table, {
      startingPosition: lambda.StartingPosition.LATEST,
      reportBatchItemFailures: true,
    }),
  );
  // --8<-- [end:cdk]
}
