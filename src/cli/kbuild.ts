/**
 * `vfslock check --kbuild`: the arguments kbuild gives its checker. scripts/Makefile.build runs
 * `$(CHECK) $(CHECKFLAGS) $(c_flags) $<`: sparse's flags (-D__linux__ -Wbitwise --arch=x86 -m64 ...), then the
 * compiler's (-Wp,-MMD,fs/.namei.o.d -nostdinc -I./include -include ./include/linux/kconfig.h --param=... -O2
 * -DKBUILD_MODNAME='"namei"' ...), then the source file. vfslock's own options are the double-dash ones listed
 * here; every other option is a compiler flag and is skipped, with its argument when it takes one as the next word,
 * so that word (a header after -include, an object after -o) is never taken for a file to check.
 */

/** vfslock's own options in --kbuild mode: those taking a value, and the switches. */
const OWN_VALUE = new Set(['--kernel', '--rules', '--time-budget', '--stdin-filename']);
const OWN_SWITCH = new Set(['--kbuild', '--Werror', '--no-color', '--color', '--terse', '--exit-zero', '--help']);

/** GCC (and sparse) options whose argument may be the next word (`-I dir`, `-include file`, `--param name=value`). */
const TAKES_ARG = new Set([
  '-D',
  '-U',
  '-I',
  '-o',
  '-x',
  '-include',
  '-imacros',
  '-isystem',
  '-idirafter',
  '-iquote',
  '-iprefix',
  '-iwithprefix',
  '-iwithprefixbefore',
  '-isysroot',
  '-imultilib',
  '-MF',
  '-MT',
  '-MQ',
  '-L',
  '-T',
  '-A',
  '-G',
  '-Xassembler',
  '-Xpreprocessor',
  '-Xlinker',
  '-aux-info',
  '--param',
  '-z',
  '-u',
  '-e',
]);

export interface KbuildArgs {
  /** vfslock's own options, by name without the dashes (switches as true). */
  values: Record<string, string | boolean | string[]>;
  /** The files to check (kbuild gives one). */
  files: string[];
  /** The -I directories, in order: a file outside a kernel tree (an external module) takes the tree's version from them. */
  includeDirs: string[];
}

/** Splits kbuild's checker arguments; a string says what is wrong (an own option without its value). */
export function parseKbuildArgs(args: string[]): KbuildArgs | string {
  const values: KbuildArgs['values'] = {};
  const files: string[] = [];
  const includeDirs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a : a.slice(0, eq);
      if (OWN_SWITCH.has(name) && eq < 0) {
        values[name.slice(2)] = true;
        continue;
      }
      if (OWN_VALUE.has(name)) {
        const v = eq >= 0 ? a.slice(eq + 1) : args[++i];
        if (v === undefined) return `${name} needs a value`;
        if (name === '--rules') values.rules = [...((values.rules as string[]) ?? []), v];
        else values[name.slice(2)] = v;
        continue;
      }
      if (eq < 0 && TAKES_ARG.has(a)) i++; // --param NAME=VALUE
      continue; // --arch=x86, --param=..., other checkers' long options
    }
    if (a.startsWith('-') && a.length > 1) {
      if (TAKES_ARG.has(a)) {
        const v = args[++i];
        if (a === '-I' && v !== undefined) includeDirs.push(v);
      } else if (a.startsWith('-I')) includeDirs.push(a.slice(2));
      continue; // -DX, -Wp,-MMD,f, -O2, -m64, -fno-..., -nostdinc, -std=gnu11, -Werror (the compiler's, not ours)
    }
    files.push(a);
  }
  return { values, files, includeDirs };
}
