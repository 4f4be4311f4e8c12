import type { BotSession } from "../../sdk/src/bot.js";
import { CortexError } from "../../sdk/src/errors.js";
import type { SessionData } from "../../sdk/src/types.js";
import { speakingMs, stepMs, type BotScript } from "./script.js";

/**
 * Plays a script as a bot would live a meeting: acknowledge the join command (`joining`, `in_room`),
 * report who joins and leaves and what they say, in real time, then leave (`leaving`, `left`). If the
 * session is stopped meanwhile (a leave command replaces the join command), it answers that command
 * with `left` and stops. Everything it does goes through the bot API, as a real bot's would.
 */

export type PlayerBot = Pick<BotSession, "current" | "report" | "attendance" | "postMessage">;

export interface PlayerIo {
  sleep(ms: number): Promise<void>;
  now(): Date;
  log(line: string): void;
  /** Aborted (Ctrl-C): stop playing and leave the room. */
  signal?: AbortSignal | undefined;
}

export interface PlayOptions {
  speed: number;
  /** How often to look for a join command while the session has none (default 2 s). */
  pollMs?: number;
}

export type PlayOutcome = "finished" | "stopped" | "interrupted";

/** Why the stand-in cannot play (printed as is). */
export class PlayError extends Error {
  override name = "PlayError";
}

/** Waits for the session's join command; answers its id once the bot is (or just got) requested. */
async function joinCommand(bot: PlayerBot, io: PlayerIo, pollMs: number): Promise<SessionData> {
  let waiting = false;
  for (;;) {
    const session = await bot.current();
    if (session.status === "ended") {
      const hint =
        session.endedReason === "bot_failed"
          ? ` — the bot failed: ${session.bot.reason ?? "no reason"} (a join command must be answered within 60 s)`
          : "";
      throw new PlayError(
        `session ${session.id} has ended (${session.endedReason ?? "no reason given"})${hint}; create a new one`,
      );
    }
    const { state, commandId } = session.bot;
    if (commandId && (state === "requested" || state === "joining" || state === "in_room")) return session;
    if (!waiting) {
      io.log(`no join command yet (bot: ${state}); waiting for session.start() or POST …/sessions/${session.id}/start`);
      waiting = true;
    }
    if (io.signal?.aborted) throw new PlayError("interrupted before a join command came");
    await io.sleep(pollMs);
  }
}

/** The leave command that replaced ours, if the session was stopped (or failed) meanwhile. */
function stopped(session: SessionData, commandId: string): "leave" | "gone" | undefined {
  if (session.bot.commandId !== commandId) return session.bot.state === "leaving" ? "leave" : "gone";
  if (session.status === "ended" || session.bot.state === "failed" || session.bot.state === "left") return "gone";
  return undefined;
}

const clock = (date: Date) => date.toISOString().slice(11, 19);

export async function playScript(
  script: BotScript,
  bot: PlayerBot,
  io: PlayerIo,
  options: PlayOptions,
): Promise<PlayOutcome> {
  const session = await joinCommand(bot, io, options.pollMs ?? 2_000);
  const commandId = session.bot.commandId!;
  if (session.bot.state === "requested") {
    io.log(`join command ${commandId}: reporting joining, then in_room`);
    await bot.report("joining", commandId);
  }
  // in_room again is a no-op for the API: a stand-in restarted mid-meeting carries on.
  const { debugAudio } = await bot.report("in_room", commandId);
  io.log(
    session.bot.state === "in_room"
      ? `already in the room for command ${commandId}; carrying on`
      : `in the room "${session.externalRoomId}" (bot: in_room)`,
  );
  const wavs = script.timeline.some((s) => s.kind === "say" && s.wav);
  if (wavs) io.log(`debug audio ${debugAudio ? "on: WAVs are attached" : "off in this project: WAVs are not sent"}`);

  const names = new Map(script.participants.map((p) => [p.peerId, p]));
  const leaveFor = async (leave: "leave" | "gone", current: SessionData): Promise<PlayOutcome> => {
    if (leave === "leave") {
      io.log(`the session was stopped: answering leave command ${current.bot.commandId} with left`);
      await bot.report("left", current.bot.commandId!);
    } else {
      io.log(`the session is over (status ${current.status}, bot ${current.bot.state}); nothing to report`);
    }
    return "stopped";
  };

  for (const step of script.timeline) {
    if (io.signal?.aborted) break;
    const now = await bot.current();
    const leave = stopped(now, commandId);
    if (leave) return leaveFor(leave, now);
    try {
      if (step.kind === "pause") {
        const ms = stepMs(step, options.speed);
        io.log(`(pause ${(ms / 1000).toFixed(ms < 1000 ? 2 : 1)} s)`);
        await io.sleep(ms);
      } else if (step.kind === "join" || step.kind === "leave") {
        const who = names.get(step.peerId)!;
        await bot.attendance({
          peerId: who.peerId,
          displayName: who.displayName,
          ...(who.userId !== undefined && { userId: who.userId }),
          event: step.kind === "join" ? "joined" : "left",
          at: io.now(),
        });
        io.log(
          `${clock(io.now())} ${step.kind === "join" ? "+" : "-"} ${who.displayName} ${step.kind === "join" ? "joined" : "left"}`,
        );
      } else {
        const who = names.get(step.peerId)!;
        // The utterance is posted once it has been said, stamped with when it began (as a transcriber does).
        const began = io.now();
        await io.sleep(speakingMs(step.text, options.speed));
        await bot.postMessage({
          senderName: who.displayName,
          peerId: who.peerId,
          ...(who.userId !== undefined && { userId: who.userId }),
          content: step.text,
          timestamp: began,
          ...(debugAudio && step.wav && { debugAudio: step.wav.bytes }),
        });
        io.log(`${clock(began)} ${who.displayName}: ${step.text}`);
      }
    } catch (error) {
      // A stop between the check and the call: the API refuses what comes after the end.
      if (error instanceof CortexError && error.status === 409) {
        const current = await bot.current();
        const leave = stopped(current, commandId);
        if (leave) return leaveFor(leave, current);
      }
      throw error;
    }
  }

  const current = await bot.current();
  const leave = stopped(current, commandId);
  if (leave) return leaveFor(leave, current);
  const interrupted = io.signal?.aborted === true;
  io.log(interrupted ? "interrupted: leaving the room" : "end of the script: leaving the room");
  await bot.report("leaving", commandId);
  await bot.report("left", commandId);
  io.log("left (the session ends: bot_left)");
  return interrupted ? "interrupted" : "finished";
}
