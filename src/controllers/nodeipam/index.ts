/**
 * The node IPAM controller ("nodeipam", upstream's range allocator): gives
 * every Node without spec.podCIDR a /nodeCidrMaskSize subnet of clusterCidr
 * (spec.podCIDR and spec.podCIDRs), never the same one twice, and frees it
 * when the Node is deleted. The allocation map is rebuilt from the Nodes'
 * existing podCIDRs before any allocation (the service CIDR is reserved
 * where it overlaps). IPv4 single-stack only.
 */
import { findResource } from "../../api/resources.ts";
import type { KObject } from "../../api/types.ts";
import { isNotFound, runWorkers, WorkQueue, type EventRecorder, type Informer, type ReconcileResult } from "../../client/index.ts";
import type { Controller, ControllerContext, ControllerFactory } from "../types.ts";
import { CidrSet } from "./cidrset.ts";

const nodesRes = findResource("", "v1", "nodes")!;
/** How often a Node is retried while the cluster CIDR is exhausted (a freed CIDR retries at once). */
const exhaustedRetryMs = 30_000;

function nodeCidrs(node: KObject): string[] {
  const list = (node.spec?.podCIDRs ?? []) as string[];
  if (list.length) return list;
  return node.spec?.podCIDR ? [node.spec.podCIDR] : [];
}

class NodeIpamController implements Controller {
  readonly name = "nodeipam";
  readonly #queue = new WorkQueue<string>();
  /** CIDRs held per node name: observed on the Node, or allocated and being written. */
  readonly #held = new Map<string, string[]>();
  #set!: CidrSet;
  #nodes!: Informer;
  #recorder!: EventRecorder;

  init(ctx: ControllerContext): void {
    this.#set = new CidrSet(ctx.settings.clusterCidr, ctx.settings.nodeCidrMaskSize);
    this.#recorder = ctx.recorder("node-ipam-controller");
    this.#nodes = ctx.informers.informerFor(nodesRes);
    const enqueue = (n: KObject): void => this.#queue.add(n.metadata.name!);
    this.#nodes.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    if (ctx.settings.serviceCidr) this.#set.occupy(ctx.settings.serviceCidr);
    for (const node of this.#nodes.lister().list()) this.#observe(node);
    await runWorkers(this.#queue, ctx.settings.workers, (name) => this.#sync(ctx, name), (m, f) => ctx.log.warn(`nodeipam: ${m}`, f), signal);
  }

  /** Records the CIDRs a Node already carries (replacing any allocation of ours for it). */
  #observe(node: KObject): void {
    const cidrs = nodeCidrs(node);
    const name = node.metadata.name!;
    const held = this.#held.get(name);
    if (held && held.join() === cidrs.join()) return;
    if (held) for (const c of held) this.#set.release(c);
    for (const c of cidrs) this.#set.occupy(c);
    this.#held.set(name, cidrs);
  }

  /** Requeues Nodes still waiting for a CIDR (after one was freed). */
  #retryWaiting(): void {
    for (const n of this.#nodes.lister().list()) if (!nodeCidrs(n).length) this.#queue.add(n.metadata.name!);
  }

  async #sync(ctx: ControllerContext, name: string): Promise<ReconcileResult | void> {
    const node = this.#nodes.lister().get("", name);
    if (!node) {
      const held = this.#held.get(name) ?? [];
      for (const c of held) this.#set.release(c);
      this.#held.delete(name);
      if (held.length) this.#retryWaiting();
      return;
    }
    if (nodeCidrs(node).length) return this.#observe(node);
    let cidr = this.#held.get(name)?.[0];
    if (!cidr) {
      cidr = this.#set.allocate();
      if (!cidr) {
        this.#recorder.event(node, "Normal", "CIDRNotAvailable", `Node ${name} status is now: CIDRNotAvailable`);
        ctx.log.warn("no pod CIDR left", { node: name, clusterCidr: ctx.settings.clusterCidr });
        return { requeueAfterMs: exhaustedRetryMs };
      }
      this.#held.set(name, [cidr]);
    }
    try {
      await ctx.client.resource(nodesRes).patch("", name, "merge", { spec: { podCIDR: cidr, podCIDRs: [cidr] } });
      ctx.log.info("allocated pod CIDR", { node: name, podCIDR: cidr });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.#set.release(cidr);
      this.#held.delete(name);
    }
  }
}

/** Factory of the node IPAM controller. */
export const nodeIpamController: ControllerFactory = () => new NodeIpamController();
