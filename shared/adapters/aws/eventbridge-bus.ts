import type { PutEventsRequest, PutEventsResponse } from "@aws-sdk/client-eventbridge";
import type { BusEntry, EventBusPort } from "../../events/publisher.js";
import { AwsClient, SERVICES } from "./client/aws-client.js";

/** EventBridge PutEvents through the lean client (AWS_ENDPOINT_URL_EVENTBRIDGE locally). */
export class EventBridgeBus implements EventBusPort {
  constructor(
    private readonly busName: string,
    private readonly client: AwsClient = new AwsClient(SERVICES.eventBridge),
  ) {}

  async putEvents(entries: BusEntry[]): Promise<Array<string | undefined>> {
    const request: PutEventsRequest = { Entries: entries.map((e) => ({ ...e, EventBusName: this.busName })) };
    const result = await this.client.call<PutEventsResponse>("PutEvents", request);
    return entries.map((_, i) => result.Entries?.[i]?.ErrorCode);
  }
}
