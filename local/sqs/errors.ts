/**
 * Errors the local SQS returns the way the real service does over AWS JSON 1.0 with query compatibility
 * (what `@aws-sdk/client-sqs` speaks since it left the Query protocol): an HTTP status, a body
 * `{ "__type": <shape id>, "message": … }` and a header `x-amzn-query-error: <query code>;Sender`.
 *
 * The SDK (it sends `x-amzn-query-mode: true`) takes the error code from that header first and maps it to
 * a modelled exception through the `awsQueryError` trait: `AWS.SimpleQueueService.NonExistentQueue` →
 * `QueueDoesNotExist`. A code the model does not know (`InvalidParameterValue`, `MissingParameter`)
 * becomes an `SQSServiceException` with that `name` — as against AWS.
 */
export type SqsErrorCode =
  | "QueueDoesNotExist"
  | "InvalidParameterValue"
  | "MissingParameter"
  | "InvalidMessageContents"
  | "InvalidAttributeName"
  | "TooManyEntriesInBatchRequest"
  | "BatchEntryIdsNotDistinct"
  | "EmptyBatchRequest"
  | "InvalidBatchEntryId"
  | "BatchRequestTooLong"
  | "ReceiptHandleIsInvalid"
  | "MessageNotInflight"
  | "UnsupportedOperation"
  | "InternalError";

interface WireError {
  /** The `__type` of the JSON body. */
  type: string;
  /** The first half of `x-amzn-query-error` (the Query-protocol error code). */
  queryCode: string;
  status: number;
}

const WIRE: Record<SqsErrorCode, WireError> = {
  QueueDoesNotExist: {
    type: "com.amazonaws.sqs#QueueDoesNotExist",
    queryCode: "AWS.SimpleQueueService.NonExistentQueue",
    status: 400,
  },
  InvalidParameterValue: {
    type: "com.amazon.coral.service#InvalidParameterValueException",
    queryCode: "InvalidParameterValue",
    status: 400,
  },
  MissingParameter: {
    type: "com.amazon.coral.service#MissingParameterException",
    queryCode: "MissingParameter",
    status: 400,
  },
  InvalidMessageContents: {
    type: "com.amazonaws.sqs#InvalidMessageContents",
    queryCode: "InvalidMessageContents",
    status: 400,
  },
  InvalidAttributeName: {
    type: "com.amazonaws.sqs#InvalidAttributeName",
    queryCode: "InvalidAttributeName",
    status: 400,
  },
  TooManyEntriesInBatchRequest: {
    type: "com.amazonaws.sqs#TooManyEntriesInBatchRequest",
    queryCode: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    status: 400,
  },
  BatchEntryIdsNotDistinct: {
    type: "com.amazonaws.sqs#BatchEntryIdsNotDistinct",
    queryCode: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    status: 400,
  },
  EmptyBatchRequest: {
    type: "com.amazonaws.sqs#EmptyBatchRequest",
    queryCode: "AWS.SimpleQueueService.EmptyBatchRequest",
    status: 400,
  },
  InvalidBatchEntryId: {
    type: "com.amazonaws.sqs#InvalidBatchEntryId",
    queryCode: "AWS.SimpleQueueService.InvalidBatchEntryId",
    status: 400,
  },
  BatchRequestTooLong: {
    type: "com.amazonaws.sqs#BatchRequestTooLong",
    queryCode: "AWS.SimpleQueueService.BatchRequestTooLong",
    status: 400,
  },
  ReceiptHandleIsInvalid: {
    type: "com.amazonaws.sqs#ReceiptHandleIsInvalid",
    queryCode: "ReceiptHandleIsInvalid",
    status: 404,
  },
  MessageNotInflight: {
    type: "com.amazonaws.sqs#MessageNotInflight",
    queryCode: "AWS.SimpleQueueService.MessageNotInflight",
    status: 400,
  },
  UnsupportedOperation: {
    type: "com.amazonaws.sqs#UnsupportedOperation",
    queryCode: "AWS.SimpleQueueService.UnsupportedOperation",
    status: 400,
  },
  InternalError: {
    type: "com.amazon.coral.service#InternalFailure",
    queryCode: "InternalError",
    status: 500,
  },
};

export class SqsApiError extends Error {
  readonly status: number;
  readonly type: string;
  /** The `x-amzn-query-error` header value. */
  readonly queryError: string;
  constructor(
    readonly code: SqsErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
    const wire = WIRE[code];
    this.status = wire.status;
    this.type = wire.type;
    this.queryError = `${wire.queryCode};${wire.status >= 500 ? "Receiver" : "Sender"}`;
  }
}

export const sqsError = (code: SqsErrorCode, message: string) => new SqsApiError(code, message);

export const invalidParameter = (message: string) => new SqsApiError("InvalidParameterValue", message);

export const queueDoesNotExist = () => new SqsApiError("QueueDoesNotExist", "The specified queue does not exist.");
