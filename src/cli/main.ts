async function main(argv: string[]): Promise<number> {
  process.stdout.write(`terrarium: ${argv.join(' ')}\n`);
  return 0;
}
void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
