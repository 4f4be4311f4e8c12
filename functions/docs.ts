import { readFile } from "node:fs/promises";
import { docsHandler } from "../shared/adapters/lambda/docs.js";

/** On Lambda the files sit next to the bundle (copied there at bundling: infra/constructs/docs.ts). */
export const handler = docsHandler((name) => readFile(new URL(`./${name}`, import.meta.url)));
