/**
 * The debug-audio port: WAV files by object key (shared/store/keys.ts `debugAudioObjectKey`). The S3
 * adapter implements it (shared/adapters/aws/s3-debug-audio.ts); locally the same adapter talks to an
 * S3-compatible store through the standard endpoint setting.
 */
export interface DebugAudioStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** A short-lived URL anyone holding it may GET (so large files never pass through the API function). */
  downloadUrl(key: string, expiresInSeconds: number): Promise<string>;
  /** Removes every object under the prefix; resolves to how many there were. */
  deletePrefix(prefix: string): Promise<number>;
}

/** How long a download URL stays valid. */
export const DEBUG_AUDIO_URL_SECONDS = 300;

/** A WAV file starts `RIFF····WAVE`. */
export function isWav(bytes: Uint8Array): boolean {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  return bytes.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WAVE";
}
