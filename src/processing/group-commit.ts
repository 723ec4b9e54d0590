/**
 * Collects concurrent requests and hands them to `flush` together, so many workers' claims or
 * completions share one transaction (and one lock of their batch row) instead of queueing on
 * that lock one by one. At low load a request is flushed on the next tick, alone; under load,
 * requests arriving during a flush form the next group.
 */
export class GroupCommit<In, Out> {
  private pending: Array<{ item: In; resolve: (out: Out) => void; reject: (error: unknown) => void }> = [];
  private flushing = false;

  constructor(
    private readonly flush: (items: In[]) => Promise<Out[]>,
    private readonly maxGroupSize = 100,
  ) {}

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending.splice(0, this.maxGroupSize);
      try {
        const results = await this.flush(group.map((p) => p.item));
        group.forEach((p, i) => p.resolve(results[i]));
      } catch (error) {
        group.forEach((p) => p.reject(error));
      }
    }
    this.flushing = false;
  }
}
