/**
 * A store in a container that testcontainers starts, for db-choose.ts (PostgreSQL) and
 * redis-choose.ts (Redis): the container is stopped when the store is closed, or at once if the
 * store does not open on it.
 */

export interface ContainerSpec {
  image: string;
  /** The store's port inside the container. */
  port: number;
  environment?: Record<string, string>;
  /** The log line that says the store is ready, and how many times it must appear (default 1). */
  ready: RegExp;
  readyTimes?: number;
}

/** Where the started container's store answers, and how to stop the container. */
export interface StartedContainer {
  host: string;
  port: number;
  stop(): Promise<void>;
}

export async function openInContainer<T>(
  spec: ContainerSpec,
  open: (container: StartedContainer) => Promise<T>,
): Promise<T> {
  const { GenericContainer, Wait } = await import("testcontainers");
  const container = await new GenericContainer(spec.image)
    .withEnvironment(spec.environment ?? {})
    .withExposedPorts(spec.port)
    .withWaitStrategy(Wait.forLogMessage(spec.ready, spec.readyTimes ?? 1))
    .start();
  const stop = async () => {
    await container.stop();
  };
  try {
    return await open({ host: container.getHost(), port: container.getMappedPort(spec.port), stop });
  } catch (error) {
    await container.stop().catch(() => undefined);
    throw error;
  }
}

/** An error's first line, for a one-line choice. */
export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}
