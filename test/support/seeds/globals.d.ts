/**
 * Seed 001's members sample reads a `gatheringId` it never declares (the reader supplies it); the
 * harness's preload defines it as a global, so the sample itself stays as the seed wrote it.
 */
// eslint-disable-next-line no-var
declare var gatheringId: string;
