/**
 * The client library (client-go's equivalent): REST client, informers and
 * listers, work queue, controller worker loop, event recorder and leader
 * election. Every component other than the apiserver builds on this.
 */
export * from "./config.ts";
export * from "./clock.ts";
export * from "./rest.ts";
export * from "./informer.ts";
export * from "./workqueue.ts";
export * from "./controller.ts";
export * from "./events.ts";
export * from "./leaderelection.ts";
