/**
 * For the broker's own tests (transactions.test.ts, kafka.test.ts): a broker node with a plug-in
 * under test, beside one client node that talks to it.
 */
import { envOf } from "#harness/sim/testing.ts";
import type { World } from "#harness/sim/world.ts";
import type { Env } from "#lab";
import { type Broker, type BrokerConfig, openBroker } from "./broker.ts";
import { BrokerClient } from "./client.ts";
import type { MessageStore } from "./store.ts";

/**
 * Adds node "broker" (on the store `storeFor` opens for each incarnation) and the client node
 * `clientId` (booted by `bootClient`) to the world. `boot` starts both and connects the client.
 */
export function brokerWithClient(
  world: World,
  config: BrokerConfig,
  storeFor: (env: Env) => Promise<MessageStore>,
  clientId: string,
  bootClient: (env: Env) => Env = (env) => env,
) {
  const broker = world.addNode<Broker>("broker", async (env) => openBroker(env, config, await storeFor(env)));
  const client = world.addNode<Env>(clientId, bootClient);
  const connect = async (timeoutMs = 50) => new BrokerClient((await envOf(client)).net, "broker", timeoutMs);
  /** Starts the broker, then the client, and connects the client to the broker. */
  const boot = async (): Promise<BrokerClient> => {
    await broker.start();
    await client.start();
    return connect();
  };
  return { broker, client, connect, boot };
}

/** What the plug-in under test was handed when the broker opened it; throws if it never was. */
export function openedSide<TSide>(seen: { side: TSide | null }, plugIn: string): TSide {
  if (seen.side === null) throw new Error(`${plugIn} was never opened`);
  return seen.side;
}
