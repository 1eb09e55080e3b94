import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export function which(bin: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(delimiter)) if (d && existsSync(join(d, bin))) return join(d, bin);
  return undefined;
}
