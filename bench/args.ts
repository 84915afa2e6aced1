/** Command line of `npm run bench`: `--repeat N` and `--only a,c` (letters or names). Pure; run-all.ts passes its benchmark list. */

export interface BenchArgs<L extends string = string> {
  /** Runs of every selected benchmark (1–100, default 1). */
  repeat: number;
  /** Selected benchmarks, in the list's order (default all). */
  only: L[];
}

/** Parses `argv` (without node and the script); throws an Error saying what is wrong and what is allowed. */
export function parseBenchArgs<L extends string>(argv: readonly string[], benches: ReadonlyArray<{ letter: L; name: string }>): BenchArgs<L> {
  const choices = benches.map((x) => `${x.letter} (${x.name})`).join(', ');
  let repeat = 1;
  let only: L[] = benches.map((b) => b.letter);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined || v === '' || v.startsWith('--')) throw new Error(`${a.split('=')[0]} needs a value`);
      return v;
    };
    if (a === '--repeat' || a.startsWith('--repeat=')) {
      const v = value();
      repeat = Number(v);
      if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) throw new Error(`--repeat must be a whole number from 1 to 100 (got "${v}")`);
    } else if (a === '--only' || a.startsWith('--only=')) {
      const wanted = new Set(
        value()
          .split(',')
          .map((s) => s.trim().toLowerCase())
          .filter(Boolean)
          .map((n) => {
            const b = benches.find((x) => x.letter === n || x.name === n);
            if (!b) throw new Error(`--only: unknown benchmark "${n}"; choose from ${choices}`);
            return b.letter;
          }),
      );
      if (wanted.size === 0) throw new Error(`--only needs at least one benchmark: ${choices}`);
      only = benches.map((b) => b.letter).filter((l) => wanted.has(l));
    } else {
      throw new Error(`unknown argument "${a}"; use --repeat N and/or --only with ${choices}`);
    }
  }
  return { repeat, only };
}
