export {
  applyMessageAnnotationEvent,
  applySessionAnnotationEvent,
  compareMessageAnnotations,
  compareSessionAnnotations,
  markCurrent,
  MESSAGE_ANNOTATION_EVENT_TYPES,
  MESSAGE_ANNOTATION_PAGE_LIMIT,
  SESSION_ANNOTATION_EVENT_TYPES,
} from "./annotations.js";
export { CortexClient, Gatherings, Participants, Project, Sessions, Settings } from "./client.js";
export type { CortexClientOptions, JoinResult } from "./client.js";
export type { MutationOptions } from "./context.js";
export {
  AlreadyExistsError,
  BusyError,
  ConflictError,
  CortexConnectionError,
  CortexError,
  ERROR_CLASSES_BY_CODE,
  errorClassFor,
  ForbiddenError,
  GatheringClosedError,
  GatheringFullError,
  GoneError,
  IdempotencyKeyReusedError,
  InvalidTransitionError,
  JoinCodeNotFoundError,
  JoinCodeTakenError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  PluginDisabledError,
  PreconditionFailedError,
  RateLimitedError,
  ServerError,
  ServiceUnavailableError,
  SessionEndedError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationFailedError,
  VersionConflictError,
  WebhookVerificationError,
} from "./errors.js";
export type { WebhookVerificationFailure } from "./errors.js";
export {
  applyInvitationEvent,
  applyMemberEvent,
  compareInvitations,
  compareMembers,
  Gathering,
  INVITATION_EVENT_TYPES,
  MEMBER_EVENT_TYPES,
} from "./gathering.js";
export { PageIterator } from "./pagination.js";
export { Plugins } from "./plugins.js";
export {
  applyMessageEvent,
  compareMessages,
  MESSAGE_EVENT_TYPES,
  MESSAGE_PAGE_LIMIT,
  Session,
  sessionAfter,
} from "./session.js";
export type { LiveOptions } from "./sse.js";
export { CollectionSubscription, DocumentSubscription } from "./subscriptions.js";
export type {
  CollectionListener,
  DocumentChange,
  ErrorListener,
  SnapshotErrorListener,
  SnapshotListener,
  Unsubscribe,
} from "./subscriptions.js";
export type { CallOptions, FetchLike } from "./transport.js";
export type * from "./types.js";
export { verifyWebhook, Webhooks } from "./webhooks.js";
export type { VerifyWebhookOptions, WebhookHeaders } from "./webhooks.js";
export { inProcessProject } from "./functions.js";
export type {
  EventNameOf,
  HandlerName,
  TypedEventEnvelope,
  UserFunction,
  UserFunctionContext,
  UserFunctionLogger,
  UserFunctions,
} from "./functions.js";
export type { EventDataMap, EventName } from "./event-data.js";
