/** An unbounded async queue: producers push, one consumer awaits `take()`. */
export class Channel<T> {
  private readonly items: T[] = [];
  private head = 0;
  private waiter: ((v: T) => void) | undefined;

  push(v: T): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(v);
    } else this.items.push(v);
  }

  take(): Promise<T> {
    if (this.head < this.items.length) {
      const v = this.items[this.head++];
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items.splice(0, this.head);
        this.head = 0;
      }
      return Promise.resolve(v);
    }
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Everything queued now, without waiting. */
  drain(): T[] {
    const out = this.items.slice(this.head);
    this.items.length = 0;
    this.head = 0;
    return out;
  }
}
