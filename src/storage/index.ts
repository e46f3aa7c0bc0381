/**
 * Public entry point of the storage layer: the Store contract and its error
 * classes (types.ts) and the embedded backend.
 */
export * from "./types.ts";
export { openEmbeddedStore, StoreClosedError, CorruptionError } from "./embedded/index.ts";
export type { EmbeddedStoreOptions } from "./embedded/index.ts";
