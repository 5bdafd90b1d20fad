/**
 * Runs tasks one at a time per key and different keys concurrently (key-level ordering, the Parallel
 * Consumer idea). Tasks must not reject: the pipeline settles every failure itself.
 */
export type Task = () => Promise<void>;

export interface KeyedExecutor {
  submit(key: string, task: Task): void;
  /** Keys with a running task. */
  readonly activeKeys: number;
}

export function createKeyedExecutor(): KeyedExecutor {
  // Presence of a key means a task for it is running; the array holds the ones waiting behind it.
  const queues = new Map<string, Task[]>();

  function run(key: string, task: Task): void {
    task().then(
      () => next(key),
      () => next(key),
    );
  }

  function next(key: string): void {
    const queue = queues.get(key);
    const following = queue?.shift();
    if (following) run(key, following);
    else queues.delete(key);
  }

  return {
    submit(key, task) {
      const queue = queues.get(key);
      if (queue) {
        queue.push(task);
        return;
      }
      queues.set(key, []);
      run(key, task);
    },
    get activeKeys() {
      return queues.size;
    },
  };
}
