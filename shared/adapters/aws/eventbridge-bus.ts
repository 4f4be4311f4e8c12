import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { BusEntry, EventBusPort } from "../../events/publisher.js";

export class EventBridgeBus implements EventBusPort {
  constructor(
    private readonly busName: string,
    private readonly client: EventBridgeClient = new EventBridgeClient({}),
  ) {}

  async putEvents(entries: BusEntry[]): Promise<Array<string | undefined>> {
    const result = await this.client.send(
      new PutEventsCommand({ Entries: entries.map((e) => ({ ...e, EventBusName: this.busName })) }),
    );
    return entries.map((_, i) => result.Entries?.[i]?.ErrorCode);
  }
}
