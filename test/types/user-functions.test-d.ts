import { describe, expectTypeOf, it } from "vitest";
import type * as z from "../../shared/kernel/zod.js";
import type { EventData, EventType } from "../../shared/events/catalog.js";
import type {
  EventDataMap,
  EventName,
  EventNameOf,
  HandlerName,
  Member,
  UserFunction,
  UserFunctions,
} from "../../sdk/src/index.js";
import type { MemberSchema } from "../../shared/domain/gatherings/model.js";

describe("user functions typed by name", () => {
  it("gives onGatheringMemberReady the member-ready payload, and rejects a field it does not have", () => {
    const fn: UserFunction<"onGatheringMemberReady"> = (event, ctx) => {
      expectTypeOf(event.type).toEqualTypeOf<"gathering.member.ready">();
      expectTypeOf(event.data.member).toEqualTypeOf<Member>();
      expectTypeOf(event.data.gathering.readyCount).toEqualTypeOf<number>();
      expectTypeOf(ctx.event.type).toEqualTypeOf<"gathering.member.ready">();
      // @ts-expect-error — member-ready carries no session
      void event.data.sessionId;
    };
    void fn;
    // The event name works as well as the export name.
    expectTypeOf<UserFunction<"gathering.member.ready">>().toEqualTypeOf<UserFunction<"onGatheringMemberReady">>();
  });

  it("maps every export name to its event and back, as the backend binds them", () => {
    expectTypeOf<HandlerName<"gathering.member.ready">>().toEqualTypeOf<"onGatheringMemberReady">();
    expectTypeOf<EventNameOf<"onSessionAnnotationCreated">>().toEqualTypeOf<"session.annotation.created">();
    // @ts-expect-error — a name that is no event's export is not a handler name
    expectTypeOf<UserFunction<"onGatheringMemberDanced">>();
  });

  it("types a whole module: a handler with the wrong event's payload does not fit its export", () => {
    const module = {
      onGatheringCreated: async (event: { data: { gathering: { id: string } } }) => void event.data.gathering.id,
    } satisfies UserFunctions;
    void module;
    const wrong = {
      // @ts-expect-error — onGatheringCreated's data has no member
      onGatheringCreated: async (event: { data: { member: Member } }) => void event.data.member,
    } satisfies UserFunctions;
    void wrong;
  });

  it("names exactly the catalog's events, each with a payload the catalog's schema accepts", () => {
    expectTypeOf<EventName>().toEqualTypeOf<EventType>();
    expectTypeOf<EventDataMap["gathering.member.ready"]["member"]>().toEqualTypeOf<z.infer<typeof MemberSchema>>();
    expectTypeOf<EventData<"gathering.member.ready">>().toExtend<EventDataMap["gathering.member.ready"]>();
  });

  it("keeps plain UserFunction untyped, as before", () => {
    const fn: UserFunction = (event) => void event.data.anything;
    void fn;
  });
});
