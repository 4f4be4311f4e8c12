import { describe, expectTypeOf, it } from "vitest";
import type * as z from "../../shared/kernel/zod.js";
import type { EventEnvelopeSchema } from "../../shared/kernel/envelope.js";
import type {
  AddMemberBodySchema,
  CreateGatheringBodySchema,
  GatheringSchema,
  JoinByCodeBodySchema,
  MemberSchema,
  StartGatheringBodySchema,
  UpdateGatheringBodySchema,
} from "../../shared/domain/gatherings/model.js";
import type { ProblemSchema } from "../../shared/app/http/routes.js";
import type { InvitationSchema, SendInvitationsBodySchema } from "../../shared/domain/gatherings/invitation-model.js";
import type { ParticipantSchema, PutParticipantBodySchema } from "../../shared/domain/participants/model.js";
import type {
  AttendanceBodySchema,
  AttendeeSchema,
  BotReportAnswerSchema,
  BotReportBodySchema,
  CreateSessionBodySchema,
  DebugAudioLinkSchema,
  MessageSchema,
  PostMessageBodySchema,
  ProjectSettingsSchema,
  SessionSchema,
  UpdateSessionBodySchema,
  UpdateSettingsBodySchema,
} from "../../shared/domain/sessions/model.js";
import type { BotCommandSchema } from "../../shared/domain/sessions/events.js";
import type {
  CreateWebhookBodySchema,
  DeliveryAttemptSchema,
  UpdateWebhookBodySchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
} from "../../shared/consumers/webhooks/model.js";
import type {
  ActionAcceptedSchema,
  MessageAnnotationSchema,
  PluginInstanceSchema,
  SessionActionsSchema,
  SessionAnnotationSchema,
  UpdatePluginBodySchema,
} from "../../shared/domain/plugins/model.js";
import type {
  ListMessageAnnotationsQuerySchema,
  ListSessionAnnotationsQuerySchema,
} from "../../shared/app/http/routes.js";
import type * as Sdk from "../../sdk/src/index.js";
import type * as SdkBot from "../../sdk/src/bot.js";

/**
 * The SDK declares the API's shapes itself (it has no runtime dependency on zod or on shared/), so these
 * type assertions — checked by `tsc` — keep them equal to the backend's schemas: a field added, renamed
 * or retyped on either side fails the typecheck.
 */
type Out<S extends z.ZodMiniType> = z.output<S>;
type In<S extends z.ZodMiniType> = z.input<S>;

describe("the SDK's types match the API's schemas", () => {
  it("responses", () => {
    expectTypeOf<Sdk.GatheringData>().toEqualTypeOf<Out<typeof GatheringSchema>>();
    expectTypeOf<Sdk.Member>().toEqualTypeOf<Out<typeof MemberSchema>>();
    expectTypeOf<Sdk.Invitation>().toEqualTypeOf<Out<typeof InvitationSchema>>();
    expectTypeOf<Sdk.Participant>().toEqualTypeOf<Out<typeof ParticipantSchema>>();
    expectTypeOf<Sdk.SessionData>().toEqualTypeOf<Out<typeof SessionSchema>>();
    expectTypeOf<Sdk.Message>().toEqualTypeOf<Out<typeof MessageSchema>>();
    expectTypeOf<Sdk.Attendee>().toEqualTypeOf<Out<typeof AttendeeSchema>>();
    expectTypeOf<Sdk.ProjectSettings>().toEqualTypeOf<Out<typeof ProjectSettingsSchema>>();
    expectTypeOf<Sdk.DebugAudioLink>().toEqualTypeOf<Out<typeof DebugAudioLinkSchema>>();
    expectTypeOf<SdkBot.BotCommand>().toEqualTypeOf<Out<typeof BotCommandSchema>>();
    expectTypeOf<SdkBot.BotReportResult>().toEqualTypeOf<Out<typeof BotReportAnswerSchema>>();
    expectTypeOf<Sdk.WebhookEndpoint>().toEqualTypeOf<Out<typeof WebhookEndpointSchema>>();
    expectTypeOf<Sdk.WebhookEndpointWithSecret>().toEqualTypeOf<Out<typeof WebhookEndpointWithSecretSchema>>();
    expectTypeOf<Sdk.DeliveryAttempt>().toEqualTypeOf<Out<typeof DeliveryAttemptSchema>>();
    expectTypeOf<Sdk.MessageAnnotation>().toEqualTypeOf<Out<typeof MessageAnnotationSchema>>();
    expectTypeOf<Sdk.SessionAnnotation>().toEqualTypeOf<Out<typeof SessionAnnotationSchema>>();
    expectTypeOf<Sdk.PluginInstance>().toEqualTypeOf<Out<typeof PluginInstanceSchema>>();
    expectTypeOf<Sdk.SessionActions>().toEqualTypeOf<Out<typeof SessionActionsSchema>>();
    expectTypeOf<Sdk.ActionAccepted>().toEqualTypeOf<Out<typeof ActionAcceptedSchema>>();
    expectTypeOf<Out<typeof EventEnvelopeSchema>>().toExtend<Sdk.EventEnvelope>();
    expectTypeOf<Out<typeof ProblemSchema>>().toExtend<Sdk.Problem>();
  });

  it("request bodies: whatever the SDK lets you send, the API accepts, and the other way round", () => {
    expectTypeOf<Sdk.CreateGatheringInput>().toExtend<In<typeof CreateGatheringBodySchema>>();
    expectTypeOf<In<typeof CreateGatheringBodySchema>>().toExtend<Sdk.CreateGatheringInput>();
    expectTypeOf<Sdk.UpdateGatheringInput>().toExtend<In<typeof UpdateGatheringBodySchema>>();
    expectTypeOf<In<typeof UpdateGatheringBodySchema>>().toExtend<Sdk.UpdateGatheringInput>();
    expectTypeOf<Sdk.StartGatheringInput>().toExtend<In<typeof StartGatheringBodySchema>>();
    expectTypeOf<Sdk.AddMemberInput>().toExtend<In<typeof AddMemberBodySchema>>();
    expectTypeOf<In<typeof AddMemberBodySchema>>().toExtend<Sdk.AddMemberInput>();
    expectTypeOf<Sdk.JoinByCodeInput>().toExtend<In<typeof JoinByCodeBodySchema>>();
    expectTypeOf<Sdk.SendInvitationsInput>().toExtend<In<typeof SendInvitationsBodySchema>>();
    expectTypeOf<In<typeof SendInvitationsBodySchema>>().toExtend<Sdk.SendInvitationsInput>();
    expectTypeOf<Sdk.PutParticipantInput>().toExtend<In<typeof PutParticipantBodySchema>>();
    expectTypeOf<Sdk.CreateWebhookInput>().toExtend<In<typeof CreateWebhookBodySchema>>();
    expectTypeOf<In<typeof CreateWebhookBodySchema>>().toExtend<Sdk.CreateWebhookInput>();
    expectTypeOf<Sdk.UpdateWebhookInput>().toExtend<In<typeof UpdateWebhookBodySchema>>();
    expectTypeOf<Sdk.CreateSessionInput>().toExtend<In<typeof CreateSessionBodySchema>>();
    expectTypeOf<In<typeof CreateSessionBodySchema>>().toExtend<Sdk.CreateSessionInput>();
    expectTypeOf<Sdk.UpdateSessionInput>().toExtend<In<typeof UpdateSessionBodySchema>>();
    expectTypeOf<In<typeof UpdateSessionBodySchema>>().toExtend<Sdk.UpdateSessionInput>();
    expectTypeOf<Sdk.UpdateSettingsInput>().toExtend<In<typeof UpdateSettingsBodySchema>>();
    expectTypeOf<In<typeof UpdateSettingsBodySchema>>().toExtend<Sdk.UpdateSettingsInput>();
    expectTypeOf<Sdk.UpdatePluginInput>().toExtend<In<typeof UpdatePluginBodySchema>>();
    expectTypeOf<In<typeof UpdatePluginBodySchema>>().toExtend<Sdk.UpdatePluginInput>();
    expectTypeOf<Sdk.ListSessionAnnotationsQuery>().toExtend<In<typeof ListSessionAnnotationsQuerySchema>>();
    expectTypeOf<In<typeof ListSessionAnnotationsQuerySchema>>().toExtend<Sdk.ListSessionAnnotationsQuery>();
    expectTypeOf<Sdk.ListMessageAnnotationsQuery>().toExtend<In<typeof ListMessageAnnotationsQuerySchema>>();
  });

  it("the bot API's request bodies", () => {
    expectTypeOf<SdkBot.BotReportInput>().toExtend<In<typeof BotReportBodySchema>>();
    expectTypeOf<In<typeof BotReportBodySchema>>().toExtend<SdkBot.BotReportInput>();
    expectTypeOf<SdkBot.AttendanceInput>().toExtend<In<typeof AttendanceBodySchema>>();
    expectTypeOf<In<typeof AttendanceBodySchema>>().toExtend<SdkBot.AttendanceInput>();
    expectTypeOf<SdkBot.PostMessageInput>().toExtend<In<typeof PostMessageBodySchema>>();
    expectTypeOf<In<typeof PostMessageBodySchema>>().toExtend<SdkBot.PostMessageInput>();
  });
});

describe("seed 003's Session: the plugins' methods", () => {
  it("getActions(), regenerateSummary(), watchMessageAnnotations(), watchSessionAnnotations()", () => {
    type S = Sdk.Session;
    expectTypeOf<S["getActions"]>().returns.resolves.toEqualTypeOf<Sdk.SessionActions>();
    expectTypeOf<Awaited<ReturnType<S["getActions"]>>>().toHaveProperty("sessionId").toEqualTypeOf<string>();
    expectTypeOf<Awaited<ReturnType<S["getActions"]>>["plugins"][number]>().toHaveProperty("actions");
    expectTypeOf<S["getActions"]>().toBeCallableWith();
    expectTypeOf<S["regenerateSummary"]>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<S["regenerateSummary"]>().toBeCallableWith();
    expectTypeOf<S["regenerateSummary"]>().toBeCallableWith({ idempotencyKey: "minutes-1" });
    expectTypeOf<S["runAction"]>().toBeCallableWith("summary", "generate-minutes");
    expectTypeOf<S["runAction"]>().returns.resolves.toEqualTypeOf<Sdk.ActionAccepted>();
    expectTypeOf<S["watchMessageAnnotations"]>().returns.toEqualTypeOf<
      Sdk.CollectionSubscription<Sdk.MessageAnnotation>
    >();
    expectTypeOf<S["watchSessionAnnotations"]>().returns.toEqualTypeOf<
      Sdk.CollectionSubscription<Sdk.SessionAnnotation>
    >();
    expectTypeOf<Sdk.MessageAnnotation["type"]>().toEqualTypeOf<
      "profanity" | "summary" | "action_items" | "sentiment"
    >();
    expectTypeOf<S["getSessionAnnotations"]>().returns.resolves.toEqualTypeOf<Sdk.SessionAnnotation[]>();
    expectTypeOf<S["getMessageAnnotations"]>().returns.resolves.toEqualTypeOf<Sdk.MessageAnnotation[]>();
  });

  it("project.plugins: list(), get(id), update(id, { enabled?, config? })", () => {
    type P = Sdk.Plugins;
    expectTypeOf<P["list"]>().returns.resolves.toEqualTypeOf<Sdk.PluginInstance[]>();
    expectTypeOf<P["get"]>().returns.resolves.toEqualTypeOf<Sdk.PluginInstance | undefined>();
    expectTypeOf<P["update"]>().toBeCallableWith("summary", { enabled: false });
    expectTypeOf<P["update"]>().toBeCallableWith("summary", { config: { maxSentences: 5 } });
    expectTypeOf<P["update"]>().returns.resolves.toEqualTypeOf<Sdk.PluginInstance>();
    expectTypeOf<Sdk.Project["plugins"]>().toEqualTypeOf<Sdk.Plugins>();
  });
});
