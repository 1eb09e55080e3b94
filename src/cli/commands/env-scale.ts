/**
 * `terrarium env scale` checks its arguments before the env handlers (and client-node) load, as the
 * table's positional counts do for other commands: N is optional only when --warm is given.
 */
import { UsageError } from '../args';
import type { CommandHandler } from '../commandTypes';

export const envScaleCommand: CommandHandler = async (input, ctx) => {
  if (input.positionals[1] === undefined && typeof input.values.warm !== 'string') {
    throw new UsageError('missing number of sandboxes N (or --warm N for warm spares).', input.usage);
  }
  return (await import('./env')).envScaleCommand(input, ctx);
};
