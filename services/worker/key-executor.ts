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
  // Presence of a key means a task for it is running; the array, created when a second task arrives,
  // holds the ones waiting behind it. Most keys have one task at a time: no array for them.
  const queues = new Map<string, Task[] | null>();

  function run(key: string, task: Task): void {
    const next = (): void => {
      const queue = queues.get(key);
      const following = queue?.shift();
      if (following) run(key, following);
      else queues.delete(key);
    };
    task().then(next, next);
  }

  return {
    submit(key, task) {
      const queue = queues.get(key);
      if (queue === undefined) {
        queues.set(key, null);
        run(key, task);
      } else if (queue === null) {
        queues.set(key, [task]);
      } else {
        queue.push(task);
      }
    },
    get activeKeys() {
      return queues.size;
    },
  };
}
