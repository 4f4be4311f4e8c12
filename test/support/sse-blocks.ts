/**
 * The raw event-stream reading the tests' and the bench's node:http watchers share: a `data` handler that
 * splits the body into its blocks (one event or comment each) across chunk boundaries, and a block's fields.
 */
export function onEventStreamBlocks(onBlock: (block: string) => void): (chunk: string) => void {
  let buffer = "";
  return (chunk) => {
    buffer += chunk;
    let boundary: number;
    while ((boundary = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      onBlock(block);
    }
  };
}

export interface EventStreamBlock {
  id?: string;
  event: string;
  /** The data lines joined with "\n"; undefined for a block without data (a comment). */
  data?: string;
  /** Comment lines (`: heartbeat …`), without the colon. */
  comments: string[];
}

export function parseEventStreamBlock(block: string): EventStreamBlock {
  const parsed: EventStreamBlock = { event: "message", comments: [] };
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) parsed.comments.push(line.slice(1).trimStart());
    else if (line.startsWith("id: ")) parsed.id = line.slice(4);
    else if (line.startsWith("event: ")) parsed.event = line.slice(7);
    else if (line.startsWith("data: "))
      parsed.data = parsed.data === undefined ? line.slice(6) : `${parsed.data}\n${line.slice(6)}`;
  }
  return parsed;
}
