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

/**
 * Runs steps one after another per key, without holding up whoever queued them: the pipeline's second
 * stage per key. A key's next model call need not wait for the previous event's publish to be
 * confirmed, only its publish must follow that one. Steps must not reject.
 */
export interface OrderedSteps {
  /** Runs `step` once every earlier step of `key` settled (at once when there is none). */
  after(key: string, step: Task): void;
  /** Keys with a step running or waiting. */
  readonly activeKeys: number;
}

export function createOrderedSteps(): OrderedSteps {
  // The last step queued per key; removed when it settles and nothing followed it.
  const tails = new Map<string, Promise<void>>();

  return {
    after(key, step) {
      const previous = tails.get(key);
      const tail: Promise<void> = previous === undefined ? step() : previous.then(step, step);
      tails.set(key, tail);
      const release = (): void => {
        if (tails.get(key) === tail) tails.delete(key);
      };
      tail.then(release, release);
    },
    get activeKeys() {
      return tails.size;
    },
  };
}
