/**
 * node:http, loaded through require. An ESM import of node:http evaluates
 * every export of the module, including its lazy WebSocket/EventSource
 * getters, which load Node's whole fetch stack (undici): ~14 MB resident
 * that a node agent never uses. Import values of node:http from here; type
 * imports (`import type`) of node:http are fine anywhere.
 */
import { createRequire } from "node:module";
import type * as Http from "node:http";

/** The node:http module. */
export const http: typeof Http = createRequire(import.meta.url)("node:http");
