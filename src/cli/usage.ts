// The command line's help text, for the name it is run by: `krh` once the
// package is installed, `npx tsx src/cli.ts` in its own repository.
export const usage = (prog: string): string => USAGE.replaceAll("npx tsx src/cli.ts", prog);

const USAGE = `usage:
  npx tsx src/cli.ts list [--json] [--model-file FILE.ts]...
  npx tsx src/cli.ts hunt <model> [--variant V]... [--correct] [--runs N] [--seed S|random] [--strategy S]
                          [--depth D] [--bound K] [--bound-kind B] [--workloads W] [--event-cap E] [--workers N] [--shard I/N]
                          [--cpus N] [--memory M] [--property P] [--max-steps N] [--set K=V]...
                          [--out DIR] [--quiet]
  npx tsx src/cli.ts hunt --model-file FILE.ts [<model>] [same options]
  npx tsx src/cli.ts replay <file|dir>... [--model-file FILE.ts]...
  npx tsx src/cli.ts show <file> [--svg OUT.svg] [--html OUT.html] [--model-file FILE.ts]...
  npx tsx src/cli.ts show <dir> --html OUT.html [--model-file FILE.ts]...
  npx tsx src/cli.ts litmus <file|dir>... [--memory M]...

hunt options:
  --model-file F  hunt the model a TypeScript module exports (its default export, or its one named
                  model export; with several, name it); a counterexample saved from it records the
                  file's path, so replay and show find it again
  --variant V     hunt this variant; may be given more than once (default: every variant of the model)
  --correct       hunt only the variants the model declares correct (deep hunts for regressions)
  --runs N        runs per variant (default 1000; exhaustive: until every schedule is tried)
  --seed S        the hunt's seed, a whole number (default 1); 'random' picks one and prints it
  --strategy S    schedule source:
                    portfolio   the default: the runs shared in slices among pos, fast-check, random,
                                pct (pctwm, and first, under tso, pso, weak), surw and rff; the file
                                names the one that found it
                    fast-check  model-based commands, generated and shrunk by fast-check
                    random      a uniform random walk over the enabled events
                    pct         probabilistic concurrency testing; --depth D: bug depth (default 3)
                    pctwm       pct for weak memory (pso, tso, weak): stores and invalidations kept back
                                in odd runs, made at once in even ones, D-1 of them the other way
                    pos         partial order sampling: random event priorities, redrawn for the
                                events that race with the one taken
                    surw        selectively uniform random walk: the next context in proportion to
                                the events it has left, estimated from the hunt's earlier runs
                    rff         reads-from guided: runs that show a new reads-from pair or class are
                                kept and mutated, one of their pairs turned the other way
                    exhaustive  every schedule of cost 0, then 1, ... up to --bound K (default 2), on
                                each distinct workload of --workloads W (default 20); the cost is
                                --bound-kind: preemption (default), delay or deviation; reports when
                                it has tried them all
  --event-cap E   events a strategy other than fast-check schedules in a run before the default drain
                  finishes it (default: 4 x the model's command budget, at most half its step bound);
                  runs that reach it are counted in the summary
  --workers N     hunt on N worker threads, each its own part of the hunt; the earliest failure wins
  --shard I/N     hunt part I (1 to N) of a hunt split N ways, as one job of a CI matrix: disjoint
                  seed streams (exhaustive: disjoint workloads), --runs split among the parts
  --cpus N        CPUs of the simulated machine (default: the variant's own setting)
  --memory M      the memory model, sc, tso, pso or weak, for a model that has a memory setting
  --property P    count only failures of property P (default: the first property that fails)
  --max-steps N   actions after which a run counts as a hang (default: the model's)
  --set K=V       a setting (see 'list --json': each variant's config), for example --set signalThreshold=256,
                  or --set lockdep=0 to leave the lock validator out and let the hunt find the deadlocks
  --out DIR       where counterexamples are saved (default: counterexamples)
  --quiet         no progress: on a terminal a line updated as the hunt goes, elsewhere one line at the end

replay and show find a model of your own through the file its counterexample records; --model-file
overrides that. show --svg and --html draw the run as a picture; show <dir> --html writes one page
for every counterexample file under the folder.

litmus reads litmus tests in the Linux kernel's C format (tools/memory-model/litmus-tests) and
searches each completely under every memory mode (--memory M, repeatable, picks some): its verdict
(Always, Sometimes, Never) and the states visited, beside the file's Result for the Linux kernel
memory model. Exit 1 if a verdict contradicts it (a mode showed what LKMM forbids), 2 if a file
could not be read (one line naming the file, the line and the construct; the others still run).`;
