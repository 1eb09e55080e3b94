import { matchConnectCommand } from './commands/ssh-registry';

async function main(argv: string[]): Promise<number> {
  const connect = matchConnectCommand(argv);
  if (connect) return connect.run(connect.rest);
  process.stdout.write(`terrarium: ${argv.join(' ')}\n`);
  return 0;
}
void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
