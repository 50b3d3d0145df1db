export * from "./capture-reader.ts";
export * from "./capture-writer.ts";
export * from "./errors.ts";
export * from "./format.ts";
export * from "./mark-replayed.ts";
export * from "./relay-endpoint.ts";
export * from "./replay-schedule.ts";
