// The floor: events per second of a bare generator loop, the cheapest thing
// a step of the machine could be.
export function floorEventsPerSecond(events = 20_000_000): number {
  function* loop(): Generator<number, void, undefined> {
    let x = 0;
    for (;;) yield x++;
  }
  const g = loop();
  const started = performance.now();
  let sum = 0;
  for (let i = 0; i < events; i++) sum += g.next().value as number;
  const secs = (performance.now() - started) / 1000;
  if (sum < 0) console.log(sum); // keep the loop from being optimised away
  return events / secs;
}
