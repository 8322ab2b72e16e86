/**
 * The command lines' argument walk, shared by every subcommand: each argument in turn, with a
 * reader of the value after an option (usage() names the option when it has none).
 */
export function* readArgs(argv: string[], usage: (message?: string) => never): Generator<{ arg: string; value: () => string }> {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    yield {
      arg,
      value: () => {
        const v = argv[++i];
        if (v === undefined) usage(`${arg} needs a value`);
        return v;
      },
    };
  }
}
