// The middle one of a few measurements, by some figure of each (the upper
// of the two middle ones, for an even count): the bench repeats what moves
// from one measurement to the next and reports the middle one, whole.
export function middleBy<T>(xs: readonly T[], figure: (x: T) => number): T {
  if (xs.length === 0) throw new Error("no measurements to take the middle of");
  return [...xs].sort((a, b) => figure(a) - figure(b))[xs.length >> 1]!;
}
