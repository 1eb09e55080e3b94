/**
 * Which rows a watch change repaints. VS Code's TreeDataProvider can fire single elements: it then
 * asks only for that element's TreeItem (one round trip to the workbench), where firing a parent
 * makes it ask for the parent's children and again for every open level below. The elements must
 * be the very objects getChildren returned, so a row whose text changed is updated in place.
 * No vscode import: unit tested in plain Node.
 */

/** The part of a tree row this module reads: its view's id (stable across refreshes) and the view. */
export interface RowLike { view: { id: string } }

/** What getChildren handed out under one parent, kept so a later change can be compared to it. */
export interface Handed<T extends RowLike> { parent: T; rows: T[] }

/**
 * Rows handed out under each parent, by the parent's id. Handing out a parent's rows anew forgets
 * what was handed out below its previous rows (VS Code forgot those objects too).
 */
export class HandedRows<T extends RowLike> {
  private readonly byParent = new Map<string, Handed<T>>();

  get size(): number { return this.byParent.size; }
  entries(): [string, Handed<T>][] { return [...this.byParent]; }
  get(id: string): Handed<T> | undefined { return this.byParent.get(id); }
  clear(): void { this.byParent.clear(); }

  hand(parent: T, rows: T[]): void {
    this.forget(parent.view.id);
    this.byParent.set(parent.view.id, { parent, rows });
  }

  private forget(id: string): void {
    const e = this.byParent.get(id);
    if (!e) return;
    this.byParent.delete(id);
    for (const r of e.rows) this.forget(r.view.id);
  }
}

/**
 * Derives every parent's rows again (`childrenOf`) and returns the elements to fire: a parent whose
 * list of row ids changed (VS Code then asks for its children), else each row whose view changed,
 * updated in place with the new row's fields. Unchanged rows are updated silently (a sandbox's data
 * for commands) and not fired.
 */
export async function changedRows<T extends RowLike>(handed: HandedRows<T>, childrenOf: (parent: T) => Promise<T[]>): Promise<T[]> {
  const fire = new Set<T>();
  for (const [id, entry] of handed.entries()) {
    const next = await childrenOf(entry.parent);
    const now = handed.get(id);
    // VS Code asked for these rows again meanwhile: what it got may predate this change.
    if (now !== entry) { fire.add(now?.parent ?? entry.parent); continue; }
    if (next.length !== entry.rows.length || next.some((r, i) => r.view.id !== entry.rows[i]!.view.id)) { fire.add(entry.parent); continue; }
    next.forEach((r, i) => {
      const row = entry.rows[i]!;
      const changed = JSON.stringify(r.view) !== JSON.stringify(row.view);
      Object.assign(row, r);
      if (changed) fire.add(row);
    });
  }
  return [...fire];
}
