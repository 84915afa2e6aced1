import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from './args.js';

const benches = [
  { letter: 'a', name: 'keyword' },
  { letter: 'c', name: 'latency' },
  { letter: 'f', name: 'load' },
] as const;
const parse = (...argv: string[]) => parseBenchArgs(argv, benches);

describe('parseBenchArgs', () => {
  it('defaults to every benchmark once', () => {
    expect(parse()).toEqual({ repeat: 1, only: ['a', 'c', 'f'] });
  });

  it('takes --repeat N and --only with letters or names, in the benchmarks’ own order', () => {
    expect(parse('--repeat', '5', '--only', 'load,a')).toEqual({ repeat: 5, only: ['a', 'f'] });
    expect(parse('--only=latency', '--repeat=3')).toEqual({ repeat: 3, only: ['c'] });
  });

  it('refuses what it cannot honour, saying what is allowed', () => {
    expect(() => parse('--repeat', '0')).toThrow(/whole number from 1 to 100/);
    expect(() => parse('--repeat', '2.5')).toThrow(/whole number/);
    expect(() => parse('--repeat')).toThrow(/--repeat needs a value/);
    expect(() => parse('--only', 'z')).toThrow(/unknown benchmark "z"; choose from a \(keyword\), c \(latency\), f \(load\)/);
    expect(() => parse('--only', ',')).toThrow(/at least one/);
    expect(() => parse('--fast')).toThrow(/unknown argument "--fast"/);
  });
});
