/**
 * Runs tasks with the same key one after another, in call order: what makes a check and the
 * append it allows atomic for one stream (a producer's queue, a Kafka partition), while streams
 * with different keys still share the store's group commit. A task that throws releases the key
 * and rejects `run` with its error.
 */
export class KeyedMutex<K = string> {
  private readonly tails = new Map<K, Promise<unknown>>();

  run<T>(key: K, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const tail = next.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
