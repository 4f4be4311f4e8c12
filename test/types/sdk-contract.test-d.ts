import { describe, expectTypeOf, it } from "vitest";
import type { z } from "zod";
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
import type { SessionSchema } from "../../shared/domain/sessions/model.js";
import type {
  CreateWebhookBodySchema,
  DeliveryAttemptSchema,
  UpdateWebhookBodySchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
} from "../../shared/consumers/webhooks/model.js";
import type * as Sdk from "../../sdk/src/index.js";

/**
 * The SDK declares the API's shapes itself (it has no runtime dependency on zod or on shared/), so these
 * type assertions — checked by `tsc` — keep them equal to the backend's schemas: a field added, renamed
 * or retyped on either side fails the typecheck.
 */
type Out<S extends z.ZodType> = z.output<S>;
type In<S extends z.ZodType> = z.input<S>;

describe("the SDK's types match the API's schemas", () => {
  it("responses", () => {
    expectTypeOf<Sdk.GatheringData>().toEqualTypeOf<Out<typeof GatheringSchema>>();
    expectTypeOf<Sdk.Member>().toEqualTypeOf<Out<typeof MemberSchema>>();
    expectTypeOf<Sdk.Invitation>().toEqualTypeOf<Out<typeof InvitationSchema>>();
    expectTypeOf<Sdk.Participant>().toEqualTypeOf<Out<typeof ParticipantSchema>>();
    expectTypeOf<Sdk.SessionData>().toEqualTypeOf<Out<typeof SessionSchema>>();
    expectTypeOf<Sdk.WebhookEndpoint>().toEqualTypeOf<Out<typeof WebhookEndpointSchema>>();
    expectTypeOf<Sdk.WebhookEndpointWithSecret>().toEqualTypeOf<Out<typeof WebhookEndpointWithSecretSchema>>();
    expectTypeOf<Sdk.DeliveryAttempt>().toEqualTypeOf<Out<typeof DeliveryAttemptSchema>>();
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
  });
});
