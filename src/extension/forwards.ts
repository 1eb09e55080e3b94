/** Active managed local forwards, for the status bar and the Stop Port Forward command. */
export interface ActiveForward {
  id: string;
  sandbox: string;
  remotePort: number;
  localPort: number;
  state: string;
  stop(): Promise<void> | void;
}

export class ForwardRegistry {
  private readonly forwards = new Map<string, ActiveForward>();
  private readonly listeners = new Set<() => void>();

  add(f: ActiveForward): void { this.forwards.set(f.id, f); this.fire(); }
  update(id: string, state: string): void {
    const f = this.forwards.get(id);
    if (f) { f.state = state; this.fire(); }
  }
  async remove(id: string): Promise<void> {
    const f = this.forwards.get(id);
    this.forwards.delete(id);
    this.fire();
    await f?.stop();
  }
  list(): ActiveForward[] { return [...this.forwards.values()]; }
  onDidChange(l: () => void): { dispose(): void } {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }
  async dispose(): Promise<void> {
    await Promise.all(this.list().map((f) => f.stop()));
    this.forwards.clear();
  }
  private fire(): void { for (const l of [...this.listeners]) l(); }
}
